#!/usr/bin/env bash
# The training-quality checks that take seconds to minutes, moved out of the unit tests (issue 13: "slow training checks
# move to benchmarks"); the unit tests keep a fast check of each mechanism. Runs three `mtl demo` sections and checks the
# quality numbers they print, failing (exit 1) with the number that missed:
#   mtl-digits    the multi-task network's test accuracy: digit >= 97.0%, every task > 95.0%
#                 (was Nn/DigitsMultiTaskTests.MultiTaskNetworkReachesTheIssuesDigitAccuracy, 80 epochs)
#   wordnet-text  both tasks beat the majority class by more than 0.05 in test accuracy on the shared TF-IDF representation
#                 (was Cli/WordNetTextSectionTests.BothTasksBeatTheMajorityClassOnTheSharedRepresentation, on 3,000 glosses;
#                 the demo reads 12,000)
#   mm-fusion     the section runs under its heading and prints every model of its table
#                 (was Cli/FusionTableSectionTests.TheDemoRunsTheSection)
#   benchmarks/training_quality.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
dotnet build "$root/src/MtlEngine.Cli" -c Release -v q -nologo >/dev/null
dotnet run --no-build --project "$root/src/MtlEngine.Cli" -c Release -- demo \
    --section mtl-digits --section wordnet-text --section mm-fusion | tee "$out"
python3 - "$out" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
failures = []

digits = {m[1]: float(m[2]) / 100 for m in re.finditer(r"^\s+(digit|parity|at least 5)\s+([\d.]+)%", text, re.M)}
if sorted(digits) != ["at least 5", "digit", "parity"]:
    failures.append(f"mtl-digits: expected rows digit, parity, at least 5, got {sorted(digits)}")
else:
    if digits["digit"] < 0.97: failures.append(f"mtl-digits: digit accuracy {digits['digit']:.3f} < 0.97")
    failures += [f"mtl-digits: {t} accuracy {a:.3f} <= 0.95" for t, a in digits.items() if a <= 0.95]

wordnet = {m[1]: (int(m[2]), float(m[3]), float(m[6])) for m in re.finditer(
    r"^\s+(part of speech|supersense)\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+\d+\s*$", text, re.M)}
if sorted(wordnet) != ["part of speech", "supersense"]:
    failures.append(f"wordnet-text: expected rows part of speech, supersense, got {sorted(wordnet)}")
else:
    if [wordnet["part of speech"][0], wordnet["supersense"][0]] != [4, 45]:
        failures.append(f"wordnet-text: classes {wordnet}")
    failures += [f"wordnet-text: {t}: accuracy {acc} vs majority {base}" for t, (_, acc, base) in wordnet.items() if not acc > base + 0.05]

if "== multi-modal fusion on emoji" not in text: failures.append("mm-fusion: no section heading")
for model in ["picture only", "name only", "concat", "late", "gated", "concat + md"]:
    if not re.search(r"^\s+" + re.escape(model) + r"\s", text, re.M): failures.append(f"mm-fusion: no row for {model}")
if "demo done: 3 sections" not in text: failures.append("the demo did not finish its 3 sections")

for f in failures: print("FAIL", f)
print("training quality:", "FAILED" if failures else "ok")
sys.exit(1 if failures else 0)
PY
