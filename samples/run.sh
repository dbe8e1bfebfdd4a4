#!/usr/bin/env bash
# Packs MtlEngine into a local folder, then builds and runs samples/PackagedSample against those packages (no project
# reference), and installs the `mtl` .NET tool from the same folder and runs it once. CI runs this after the tests.
# Everything goes under samples/.artifacts (packages, an isolated NuGet cache so that a stale copy of the same version is
# never used, and the tool), which this script recreates on every run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
art="$root/samples/.artifacts"
[ "${SKIP_PACK:-}" = 1 ] || rm -rf "$art"
rm -rf "$art/cache" "$art/tool" "$art/obj" "$art/bin"
mkdir -p "$art/packages" "$art/cache" "$art/tool"
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props | head -1)

[ "${SKIP_PACK:-}" = 1 ] || dotnet pack MtlEngine.sln -c Release -o "$art/packages" --nologo -v quiet
ls "$art/packages"

# A NuGet.config of the run's own: the local folder first, the public feed for the packages' own dependencies.
cat > "$art/NuGet.config" <<CFG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <config><add key="globalPackagesFolder" value="$art/cache" /></config>
  <packageSources>
    <clear />
    <add key="local" value="$art/packages" />
    <add key="nuget" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
CFG

props=(-p:MtlEngineVersion="$version" -p:BaseIntermediateOutputPath="$art/obj/" -p:BaseOutputPath="$art/bin/")
dotnet restore samples/PackagedSample --configfile "$art/NuGet.config" "${props[@]}"
dotnet run --project samples/PackagedSample -c Release --no-restore "${props[@]}"

dotnet tool install MtlEngine.Cli --version "$version" --tool-path "$art/tool" --configfile "$art/NuGet.config"
"$art/tool/mtl" --version
echo "packaged sample: ok"
