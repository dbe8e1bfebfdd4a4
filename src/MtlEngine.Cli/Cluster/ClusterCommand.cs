using System.CommandLine;
using System.Net;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Hosting;
using MtlEngine.Cluster;

namespace MtlEngine.Cli.Cluster;

/// <summary>
/// <c>mtl cluster silo --silo-port P --gateway-port G [--primary HOST:PORT] [--address IP] (--certificate FILE | --insecure)</c>
/// runs one silo of an Orleans cluster that <c>mtl fit ... --cluster HOST:GATEWAY</c> fits on; <c>mtl cluster certificate
/// --out FILE</c> makes a self-signed certificate for a cluster. The silo prints one line once it accepts clients and
/// stops cleanly on Ctrl+C or SIGTERM.
/// </summary>
internal static class ClusterCommand
{
    /// <summary>The environment variable read when --certificate-password is not given.</summary>
    public const string PasswordVariable = "MTL_CLUSTER_CERTIFICATE_PASSWORD";

    public static Command Create(TextWriter stdout)
    {
        var cluster = new Command("cluster", "Run a silo of an Orleans cluster for 'mtl fit ... --cluster', or make its certificate.");
        cluster.Subcommands.Add(Silo(stdout));
        cluster.Subcommands.Add(Certificate(stdout));
        cluster.SetAction(NoSubcommand);
        return cluster;
    }

    private static int NoSubcommand(ParseResult _) =>
        throw new UsageException("cluster needs a subcommand: silo or certificate (see 'mtl cluster --help')");

    /// <summary>The --certificate, --certificate-password and --insecure options a silo and a fitting client share.</summary>
    public static (Option<string?> Certificate, Option<string?> Password, Option<bool> Insecure) SecurityOptions() =>
    (
        new Option<string?>("--certificate") { Description = "The cluster's certificate with its private key (.pfx/.p12, or .pem with the key); every silo and client needs the same one." },
        new Option<string?>("--certificate-password") { Description = $"The password of the certificate file (default: the {PasswordVariable} environment variable)." },
        new Option<bool>("--insecure") { Description = "Plain connections without TLS: allowed only when every address is loopback." }
    );

    /// <summary>The security the options ask for.</summary>
    public static ClusterSecurity Security(ParseResult parsed, (Option<string?> Certificate, Option<string?> Password, Option<bool> Insecure) options)
    {
        string? password = parsed.GetValue(options.Password) ?? Environment.GetEnvironmentVariable(PasswordVariable);
        return ClusterSecurity.FromOptions(parsed.GetValue(options.Certificate), password, parsed.GetValue(options.Insecure));
    }

    private static Command Silo(TextWriter stdout)
    {
        var siloPort = new Option<int>("--silo-port") { Description = "The port for silo-to-silo traffic.", Required = true };
        var gatewayPort = new Option<int>("--gateway-port") { Description = "The port fitting clients connect to (--cluster HOST:GATEWAY).", Required = true };
        var primary = new Option<string?>("--primary") { Description = "HOST:PORT, the silo port of the cluster's first silo; leave out on the first silo, which is the primary." };
        var address = new Option<string>("--address") { Description = "The IP address to listen on and advertise (default 127.0.0.1).", DefaultValueFactory = _ => "127.0.0.1" };
        var security = SecurityOptions();
        var command = new Command("silo", "Run one silo of an Orleans cluster until Ctrl+C or SIGTERM (development membership: the first silo is the primary).")
        {
            siloPort, gatewayPort, primary, address, security.Certificate, security.Password, security.Insecure,
        };
        command.SetAction(parsed =>
        {
            if (!IPAddress.TryParse(parsed.GetValue(address), out var ip))
                throw new UsageException($"--address: '{parsed.GetValue(address)}' is not an IP address");
            var primaryEndpoint = parsed.GetValue(primary) is string p ? ClusterEndpoint.Parse(p, "--primary").Resolve("--primary") : null;
            var settings = new SiloSettings(ip, parsed.GetValue(siloPort), parsed.GetValue(gatewayPort), primaryEndpoint, Security(parsed, security));
            return Run(settings, stdout, Console.Error);
        });
        return command;
    }

    private static int Run(SiloSettings settings, TextWriter stdout, TextWriter stderr)
    {
        void Report(string line)
        {
            lock (stderr) stderr.WriteLine("mtl cluster silo: " + line);
        }

        using var host = ClusterSilo.Build(settings, Report, new TrainSpecReplicas());
        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; stop.Cancel(); };
        Console.CancelKeyPress += onCancel;
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
        try
        {
            try
            {
                host.StartAsync(stop.Token).WaitAsync(TimeSpan.FromSeconds(90)).GetAwaiter().GetResult();
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                throw new UsageException($"the silo could not start on {settings.Address} (silo port {settings.SiloPort}, gateway port {settings.GatewayPort}"
                    + (settings.Primary is null ? "" : $", primary {settings.Primary}") + $"): {error.GetBaseException().Message}"
                    + (settings.Primary is null ? "" : "; check that the primary runs and that this silo has the cluster's --certificate (or both --insecure)"));
            }
            string role = settings.Primary is null ? "primary" : $"joined the primary {settings.Primary}";
            string tls = settings.Security.IsInsecure ? "no TLS (--insecure, loopback only)" : $"TLS with {settings.Security.Certificate!.Subject}";
            stdout.WriteLine($"mtl cluster silo: ready on {settings.Address}, silo port {settings.SiloPort}, gateway port {settings.GatewayPort} ({role}; {tls})");
            stdout.Flush();
            try
            {
                Task.Delay(Timeout.Infinite, stop.Token).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C or SIGTERM: stop below.
            }
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            host.StopAsync(grace.Token).GetAwaiter().GetResult();
            stdout.WriteLine("mtl cluster silo: stopped");
            return 0;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            stdout.WriteLine("mtl cluster silo: stopped before it was ready");
            return 0;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static Command Certificate(TextWriter stdout)
    {
        var output = new Option<string>("--out") { Description = "Where to write the certificate with its private key (.pfx).", Required = true };
        var password = new Option<string?>("--password") { Description = $"A password for the file (default: the {PasswordVariable} environment variable, else none)." };
        var subject = new Option<string>("--subject") { Description = "The certificate's subject.", DefaultValueFactory = _ => "CN=mtl-cluster" };
        var days = new Option<int>("--days") { Description = "Days of validity.", DefaultValueFactory = _ => 365 };
        var command = new Command("certificate", "Make a self-signed certificate for a cluster: give the file to every silo and fitting client (keep it secret: it admits peers).")
        {
            output, password, subject, days,
        };
        command.SetAction(parsed =>
        {
            string path = parsed.GetValue(output)!;
            if (!path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) && !path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase))
                throw new UsageException($"{path} (--out): the certificate file must end in .pfx or .p12");
            if (parsed.GetValue(days) < 1) throw new UsageException($"--days must be at least 1, but is {parsed.GetValue(days)}");
            using var certificate = ClusterSecurity.CreateSelfSigned(parsed.GetValue(subject)!, parsed.GetValue(days));
            string? secret = parsed.GetValue(password) ?? Environment.GetEnvironmentVariable(PasswordVariable);
            File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, secret));
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            stdout.WriteLine($"wrote {path}: {certificate.Subject}, valid until {certificate.NotAfter:yyyy-MM-dd}, SHA-256 {certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256)[..16]}…");
            return 0;
        });
        return command;
    }
}
