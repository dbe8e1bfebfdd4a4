using System.Net;
using System.Net.Sockets;
using static MtlEngine.Tests.Cli.CliRunner;

namespace MtlEngine.Tests.Cluster;

/// <summary><c>mtl fit ... --cluster</c> and <c>mtl cluster</c>: each problem is one line and exit code 2, without a cluster.</summary>
public sealed class ClusterCliTests
{
    [Fact]
    public void InsecureToANonLoopbackGatewayIsRefusedBeforeConnecting()
    {
        string line = AssertUserError("fit", "ridge", "--x", "a.npy,b.npy", "--y", "ya.npy,yb.npy", "--cluster", "10.1.2.3:30000", "--insecure", "--save", "m.safetensors");
        Assert.Contains("--insecure (no TLS) is allowed on loopback only, but '10.1.2.3' is not a loopback address", line);
    }

    [Fact]
    public void ACertificateWithoutClusterIsAUsageError()
    {
        string line = AssertUserError("fit", "ridge", "--x", "a.npy", "--y", "y.npy", "--insecure", "--save", "m.safetensors");
        Assert.Contains("--certificate and --insecure apply to a cluster fit", line);
    }

    [Fact]
    public void MismatchedShardListsAreAUsageError()
    {
        string line = AssertUserError("fit", "logreg", "--x", "a.npy,b.npy", "--y", "ya.npy", "--cluster", "127.0.0.1:30000", "--insecure", "--save", "m.safetensors");
        Assert.Contains("--y lists 1 file but --x lists 2", line);
    }

    [Fact]
    public void ANoGatewayOnLoopbackFailsWithOneLine()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now

        string line = AssertUserError("fit", "ridge", "--x", "a.npy", "--y", "y.npy", "--cluster", $"127.0.0.1:{port}", "--insecure",
            "--connect-timeout", "2", "--save", "m.safetensors");

        Assert.StartsWith($"mtl: cannot connect to the cluster at 127.0.0.1:{port}: ", line); // within the 2 s, never hanging
    }

    [Fact]
    public void ASiloNeedsACertificateOrInsecure()
    {
        string line = AssertUserError("cluster", "silo", "--silo-port", "11111", "--gateway-port", "30000");
        Assert.Contains("--certificate FILE is required", line);
    }

    [Fact]
    public void ATrainingOnTheRepresentationIsNoLongerRefusedAndGoesOnToConnect()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now
        using var job = new MtlEngine.Tests.Nn.DigitsJob(weighting: "pcgrad", extraTraining: ", \"rep_grad\": true");
        string line = AssertUserError("train", "--spec", job.SpecPath, "--out", Path.Combine(job.Folder, "out"), "--cluster", $"127.0.0.1:{port}", "--insecure",
            "--connect-timeout", "2");
        Assert.StartsWith($"mtl: cannot connect to the cluster at 127.0.0.1:{port}: ", line); // past every check of the run, rep_grad's included
    }
}
