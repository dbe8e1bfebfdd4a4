using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using MtlEngine.Cluster;
using static MtlEngine.Tests.Cluster.ClusterTestSupport;

namespace MtlEngine.Tests.Cluster;

/// <summary>
/// One real silo (<see cref="ClusterSilo.Build"/>, as <c>mtl cluster silo</c> runs it) with TLS on loopback TCP ports.
/// </summary>
public sealed class LoopbackTlsSilo : IAsyncLifetime
{
    private IHost? _host;

    public List<string> Lines { get; } = [];

    public int GatewayPort { get; private set; }

    public async Task InitializeAsync()
    {
        int siloPort = FreePort(), gatewayPort = FreePort();
        GatewayPort = gatewayPort;
        _host = ClusterSilo.Build(new SiloSettings(IPAddress.Loopback, siloPort, gatewayPort, null, Tls), line => { lock (Lines) Lines.Add(line); });
        await _host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_host is null) return;
        await _host.StopAsync();
        _host.Dispose();
    }

    public List<string> Refusals(string containing)
    {
        lock (Lines) return Lines.Where(l => l.StartsWith("refused a connection from 127.0.0.1:", StringComparison.Ordinal) && l.Contains(containing)).ToList();
    }

    /// <summary>
    /// The refusals logged so far, waiting up to 10 s for the first: the silo logs its side of a failed handshake
    /// on its own thread, which can finish after the client has already seen the failure.
    /// </summary>
    public async Task<List<string>> RefusalsAsync(string containing)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        List<string> found;
        while ((found = Refusals(containing)).Count == 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
        return found;
    }

    /// <summary>Exactly one refusal line, else a failure that shows every line the silo printed.</summary>
    public void AssertOneRefusal(List<string> refusals)
    {
        lock (Lines) Assert.True(refusals.Count == 1, $"{refusals.Count} matching refusal lines; the silo printed: {string.Join(" | ", Lines)}");
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>Who may join: only peers holding the cluster's certificate; plain connections on loopback only.</summary>
[Collection(AllocationMeasurementCollection.Name)]
public sealed class ClusterSecurityTests(LoopbackTlsSilo silo) : IClassFixture<LoopbackTlsSilo>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private ClusterEndpoint[] Gateway => [new("127.0.0.1", silo.GatewayPort)];

    [Fact]
    public async Task AClientWithTheCertificateConnects()
    {
        await using var connection = await ClusterConnection.ConnectAsync(Gateway, Tls, Timeout, Timeout);
        var hosts = await connection.Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        Assert.Single(hosts);
    }

    [Fact]
    public async Task AClientWithoutTheCertificateIsRefusedWithOneLineOnEachSide()
    {
        var error = await Assert.ThrowsAsync<ClusterException>(() => ClusterConnection.ConnectAsync(Gateway, ClusterSecurity.Insecure, Timeout, Timeout));

        Assert.StartsWith($"cannot connect to the cluster at 127.0.0.1:{silo.GatewayPort}: ", error.Message);
        Assert.EndsWith("if the silos use TLS, pass the cluster's --certificate (a client without it is refused)", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        silo.AssertOneRefusal(await silo.RefusalsAsync("did not complete a TLS handshake"));
    }

    [Fact]
    public async Task AClientWithAnotherCertificateIsRefusedWithOneLineOnEachSide()
    {
        // A silo of its own, so that no refusal of another test (printed once per reason a minute) hides this one's.
        var own = new LoopbackTlsSilo();
        await own.InitializeAsync();
        try
        {
            var error = await Assert.ThrowsAsync<ClusterException>(() => ClusterConnection.ConnectAsync([new("127.0.0.1", own.GatewayPort)], OtherTls, Timeout, Timeout));

            Assert.StartsWith($"cannot connect to the cluster at 127.0.0.1:{own.GatewayPort}: ", error.Message);
            Assert.DoesNotContain('\n', error.Message);
            // Both sides check the other's certificate. When the silo checks first it names the intruder's certificate; when
            // the client hangs up first (it refuses the silo's certificate too), the silo sees an unfinished handshake.
            var refusals = await own.RefusalsAsync("");
            lock (own.Lines)
                Assert.True(refusals.Count >= 1 && refusals.All(line => line.Contains("presented another certificate (CN=mtl-intruder", StringComparison.Ordinal)
                                                                  || line.Contains("did not complete a TLS handshake", StringComparison.Ordinal)
                                                                  || line.Contains("the TLS handshake timed out", StringComparison.Ordinal)),
                    $"the silo printed: {string.Join(" | ", own.Lines)}");
        }
        finally
        {
            await own.DisposeAsync();
        }
    }

    [Fact]
    public void InsecureIsAllowedOnLoopbackOnly()
    {
        ClusterSecurity.Insecure.RequireLoopbackIfInsecure(["127.0.0.1", "localhost", "::1"], "--cluster");
        Tls.RequireLoopbackIfInsecure(["10.1.2.3"], "--cluster");
        var error = Assert.Throws<ArgumentException>(() => ClusterSecurity.Insecure.RequireLoopbackIfInsecure(["127.0.0.1", "10.1.2.3"], "--cluster"));
        Assert.Contains("'10.1.2.3' is not a loopback address", error.Message);
    }

    [Fact]
    public void TheCertificateAndInsecureExcludeEachOtherAndOneIsRequired()
    {
        Assert.Contains("exclude each other", Assert.Throws<ArgumentException>(() => ClusterSecurity.FromOptions("c.pfx", null, insecure: true)).Message);
        Assert.Contains("--certificate FILE is required", Assert.Throws<ArgumentException>(() => ClusterSecurity.FromOptions(null, null, insecure: false)).Message);
        Assert.True(ClusterSecurity.FromOptions(null, null, insecure: true).IsInsecure);
    }

    [Fact]
    public void ACertificateFileRoundTripsWithItsPassword()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mtl-test-{Guid.NewGuid():N}.pfx");
        try
        {
            File.WriteAllBytes(path, Tls.Certificate!.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pkcs12, "pw"));
            var loaded = ClusterSecurity.FromOptions(path, "pw", insecure: false);
            Assert.Equal(Tls.Certificate.Thumbprint, loaded.Certificate!.Thumbprint);
            Assert.True(loaded.Certificate.HasPrivateKey);
            Assert.Contains("cannot read a certificate", Assert.Throws<ArgumentException>(() => ClusterSecurity.FromOptions(path, "wrong", insecure: false)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("127.0.0.1:30000", "127.0.0.1", 30000)]
    [InlineData("[::1]:11111", "::1", 11111)]
    [InlineData("node-7.example:4000", "node-7.example", 4000)]
    public void EndpointsParse(string text, string host, int port)
    {
        var endpoint = ClusterEndpoint.Parse(text, "--cluster");
        Assert.Equal(host, endpoint.Host);
        Assert.Equal(port, endpoint.Port);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:0")]
    [InlineData(":30000")]
    [InlineData("host:70000")]
    public void BadEndpointsAreRefused(string text) =>
        Assert.Contains("is not HOST:PORT", Assert.Throws<ArgumentException>(() => ClusterEndpoint.Parse(text, "--cluster")).Message);
}
