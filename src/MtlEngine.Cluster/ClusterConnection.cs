using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace MtlEngine.Cluster;

/// <summary>
/// A fitting client connected to a cluster's gateways (Orleans' client with static gateways and the cluster's
/// <see cref="ClusterSecurity"/>). Disposing it closes the connection.
/// </summary>
public sealed class ClusterConnection : IAsyncDisposable
{
    private readonly IHost? _host;

    private ClusterConnection(IHost? host, IClusterClient client)
    {
        _host = host;
        Client = client;
    }

    /// <summary>The Orleans client.</summary>
    public IClusterClient Client { get; }

    /// <summary>Wraps a client someone else owns (the tests' in-process cluster); disposing does not close it.</summary>
    public static ClusterConnection Wrap(IClusterClient client) => new(null, client ?? throw new ArgumentNullException(nameof(client)));

    /// <summary>
    /// Connects to the gateways. A refused TLS handshake, an unreachable gateway or a connection that takes longer than
    /// <paramref name="connectTimeout"/> is a <see cref="ClusterException"/> whose one line says which and what to do.
    /// </summary>
    /// <param name="gateways">The gateways (<c>--cluster HOST:PORT[,HOST:PORT...]</c>).</param>
    /// <param name="security">The cluster's certificate, or plain (loopback gateways only).</param>
    /// <param name="responseTimeout">How long a grain call may take before Orleans gives up on it.</param>
    /// <param name="connectTimeout">How long connecting may take.</param>
    public static async Task<ClusterConnection> ConnectAsync(IReadOnlyList<ClusterEndpoint> gateways, ClusterSecurity security,
        TimeSpan responseTimeout, TimeSpan connectTimeout)
    {
        ArgumentNullException.ThrowIfNull(gateways);
        ArgumentNullException.ThrowIfNull(security);
        if (gateways.Count == 0) throw new ArgumentException("--cluster: give at least one gateway HOST:PORT");
        security.RequireLoopbackIfInsecure(gateways.Select(g => g.Host), "--cluster");
        var endpoints = gateways.Select(g => g.Resolve("--cluster")).ToArray();
        string where = string.Join(",", gateways);

        var refusals = new TlsRefusals(_ => { });
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(refusals);
        builder.UseOrleansClient(client =>
        {
            client.UseStaticClustering(endpoints);
            client.Configure<ClusterOptions>(o => { o.ClusterId = SiloSettings.ClusterId; o.ServiceId = SiloSettings.ClusterId; });
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = responseTimeout);
            Configure(client, security);
        });
        var host = builder.Build();
        using var timeout = new CancellationTokenSource(connectTimeout);
        try
        {
            await host.StartAsync(timeout.Token).WaitAsync(connectTimeout + TimeSpan.FromSeconds(5));
        }
        catch (Exception error)
        {
            await StopQuietly(host);
            string why = refusals.LastFailure
                ?? (error is OperationCanceledException or TimeoutException
                    ? $"no answer within {connectTimeout.TotalSeconds:0} s"
                    : error.GetBaseException().Message);
            string hint = security.IsInsecure
                ? "; if the silos use TLS, pass the cluster's --certificate (a client without it is refused)"
                : "; check that the silos run with the same --certificate and that HOST:PORT is a gateway port";
            throw new ClusterException($"cannot connect to the cluster at {where}: {why}{hint}", error);
        }
        return new ClusterConnection(host, host.Services.GetRequiredService<IClusterClient>());
    }

    /// <summary>
    /// What every fitting client has, whatever its gateways (the tests' in-process cluster uses this too): TLS with the
    /// cluster's certificate, pinned as in <see cref="ClusterSecurity"/>, unless <paramref name="security"/> is plain.
    /// </summary>
    public static void Configure(IClientBuilder client, ClusterSecurity security)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(security);
        if (!security.IsInsecure) client.UseTls(security.Certificate!, security.ConfigureTls);
    }

    /// <summary>Closes the connection (at most a few seconds).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_host is not null) await StopQuietly(_host);
    }

    private static async Task StopQuietly(IHost host)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await host.StopAsync(timeout.Token);
        }
        catch (Exception)
        {
            // The client is being dropped (after the fit, or after the failure being reported): a gateway that is gone
            // or does not answer the goodbye changes nothing, and must not hide the fit's own result or error.
        }
        host.Dispose();
    }
}
