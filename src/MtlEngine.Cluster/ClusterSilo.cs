using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace MtlEngine.Cluster;

/// <summary>How one silo of <c>mtl cluster silo</c> runs.</summary>
/// <param name="Address">The IP address the silo listens on and advertises to the others (loopback by default).</param>
/// <param name="SiloPort">The port for silo-to-silo traffic (membership, grain calls).</param>
/// <param name="GatewayPort">The port fitting clients connect to.</param>
/// <param name="Primary">
/// The silo port of the development membership's primary silo, or null: this silo is the primary. Development membership
/// keeps the membership table in the primary's memory; see <see cref="ClusterSilo"/> for a real membership provider.
/// </param>
/// <param name="Security">TLS with the cluster's certificate, or plain (loopback only).</param>
public sealed record SiloSettings(IPAddress Address, int SiloPort, int GatewayPort, IPEndPoint? Primary, ClusterSecurity Security)
{
    /// <summary>The cluster id and service id every silo and client of an MtlEngine cluster share.</summary>
    public const string ClusterId = "mtl";

    /// <summary>Checks ports and the loopback rule of plain connections.</summary>
    /// <exception cref="ArgumentException">When a port is out of range, the two ports are equal, or --insecure is used off loopback.</exception>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Address);
        ArgumentNullException.ThrowIfNull(Security);
        if (SiloPort is < 1 or > 65535) throw new ArgumentException($"--silo-port must be in 1..65535, but is {SiloPort}");
        if (GatewayPort is < 1 or > 65535) throw new ArgumentException($"--gateway-port must be in 1..65535, but is {GatewayPort}");
        if (SiloPort == GatewayPort) throw new ArgumentException($"--silo-port and --gateway-port must differ, but both are {SiloPort}");
        Security.RequireLoopbackIfInsecure([Address.ToString()], "--address");
        if (Primary is not null) Security.RequireLoopbackIfInsecure([Primary.Address.ToString()], "--primary");
    }
}

/// <summary>
/// A silo of an MtlEngine cluster: Microsoft Orleans with the shard grains (<see cref="IShardGrain"/>), its connections
/// secured by <see cref="ClusterSecurity"/>, and development membership (<c>UseDevelopmentClustering</c>): the first silo,
/// started without a primary, keeps the membership table; the others name its silo port.
/// <para>
/// A real membership provider replaces development membership when the primary must not be a single point of failure:
/// add its package (e.g. Microsoft.Orleans.Clustering.AdoNet, .Redis or .AzureStorage) and call its
/// <c>Use…Clustering</c> on the silo builder in <see cref="Build"/> instead of <c>UseDevelopmentClustering</c> (and
/// <c>UseStaticClustering</c> in <see cref="ClusterConnection"/> by the same provider's client call), with the same
/// <see cref="ClusterOptions"/>; nothing else changes.
/// </para>
/// </summary>
public static class ClusterSilo
{
    /// <summary>
    /// Builds the silo host. <paramref name="report"/> receives one line for each refused connection (a peer without the
    /// cluster's certificate) and for each error Orleans logs. <paramref name="replicas"/> builds the replicas of data-parallel
    /// training jobs (null: the silo refuses them).
    /// </summary>
    public static IHost Build(SiloSettings settings, Action<string> report, IReplicaLoader? replicas = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(report);
        settings.Validate();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new OneLineLog(report, LogLevel.Error));
        builder.UseOrleans(silo =>
        {
            var own = new IPEndPoint(settings.Address, settings.SiloPort);
            silo.Configure<ClusterOptions>(o => { o.ClusterId = SiloSettings.ClusterId; o.ServiceId = SiloSettings.ClusterId; });
            silo.Configure<SiloOptions>(o => o.SiloName = $"silo-{settings.Address}-{settings.SiloPort}");
            silo.ConfigureEndpoints(settings.Address, settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: false);
            silo.UseDevelopmentClustering(settings.Primary ?? own);
            // A silo that cannot reach the primary gives up after a minute instead of Orleans' five.
            silo.Configure<ClusterMembershipOptions>(o => o.MaxJoinAttemptTime = TimeSpan.FromSeconds(60));
            Configure(silo, settings.Security, report, replicas);
        });
        return builder.Build();
    }

    /// <summary>
    /// What every silo of the cluster has, whatever its membership and transport (the tests' in-process cluster uses this
    /// too): TLS when <paramref name="security"/> has a certificate, the refusal lines, and shard activations that are
    /// collected once idle for 10 minutes (a fit releases its grains when it ends), and the loader of training replicas
    /// when <paramref name="replicas"/> is given.
    /// </summary>
    public static void Configure(ISiloBuilder silo, ClusterSecurity security, Action<string> report, IReplicaLoader? replicas = null)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(security);
        ArgumentNullException.ThrowIfNull(report);
        if (!security.IsInsecure) silo.UseTls(security.Certificate!, security.ConfigureTls);
        silo.Services.AddSingleton<ILoggerProvider>(new TlsRefusals(report));
        if (replicas is not null) silo.Services.AddSingleton(replicas);
        silo.Configure<GrainCollectionOptions>(o => o.CollectionAge = TimeSpan.FromMinutes(10));
        silo.Configure<SiloMessagingOptions>(o => o.MaxRequestProcessingTime = TimeSpan.FromHours(2));
    }
}
