using MtlEngine.Cluster;
using MtlEngine.Data;
using MtlEngine.Tensors;
using Orleans.TestingHost;

namespace MtlEngine.Tests.Cluster;

/// <summary>
/// In-process Orleans clusters (Orleans.TestingHost: silos and client in this process over an in-memory transport, no
/// sockets) configured as <c>mtl cluster silo</c> configures its silos, and shard files written to a temporary folder.
/// </summary>
internal static class ClusterTestSupport
{
    /// <summary>One self-signed certificate for all tests (RSA key generation costs ~0.1 s).</summary>
    public static ClusterSecurity Tls { get; } = ClusterSecurity.Tls(ClusterSecurity.CreateSelfSigned("CN=mtl-test-cluster"));

    /// <summary>A second, different certificate: a peer holding it is not of the cluster.</summary>
    public static ClusterSecurity OtherTls { get; } = ClusterSecurity.Tls(ClusterSecurity.CreateSelfSigned("CN=mtl-intruder"));

    /// <summary>Starts <paramref name="silos"/> silos with <paramref name="siloSecurity"/>; the client uses <paramref name="clientSecurity"/>;
    /// the silos build training replicas with <paramref name="replicas"/> (default: <c>mtl train</c>'s, from a spec).</summary>
    public static async Task<InProcessTestCluster> StartAsync(short silos, ClusterSecurity siloSecurity, ClusterSecurity clientSecurity,
        List<string> lines, bool connectClient = true, IReplicaLoader? replicas = null)
    {
        var builder = new InProcessTestClusterBuilder(silos);
        builder.Options.ConfigureFileLogging = false;
        builder.Options.InitializeClientOnDeploy = connectClient;
        // One gateway, on the first silo, as 'mtl fit --cluster PRIMARY:GATEWAY' connects: the silos the tests kill are
        // never the client's gateway.
        builder.Options.GatewayPerSilo = false;
        builder.ConfigureSilo((_, silo) => ClusterSilo.Configure(silo, siloSecurity, line => { lock (lines) lines.Add(line); }, replicas ?? new MtlEngine.Cli.Cluster.TrainSpecReplicas()));
        builder.ConfigureClient(client => ClusterConnection.Configure(client, clientSecurity));
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    /// <summary>X (n, d) in closed form: sin/cos of the row and column, with a little of each row's index.</summary>
    public static double[,] Features(int n, int d, int offset = 0)
    {
        var x = new double[n, d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
                x[i, j] = Math.Sin(0.37 * (i + offset) * (j + 1) + j) + 0.5 * Math.Cos(0.11 * (i + offset) + 2.0 * j) + 0.1 * j;
        return x;
    }

    /// <summary>Splits the rows 0..n of a closed-form problem into shards of the given sizes and writes them as .npy.</summary>
    public sealed class Shards : IDisposable
    {
        public Shards(int[] sizes, int d, Func<double[,], int, double[]> target, Func<double[,], int, double>? secondColumn = null)
        {
            const string yName = "y";
            Folder = Directory.CreateTempSubdirectory("mtl-cluster-test-").FullName;
            var files = new List<ShardFiles>();
            var allX = new List<double[,]>();
            var allY = new List<double>();
            int offset = 0;
            for (int s = 0; s < sizes.Length; s++)
            {
                var x = Features(sizes[s], d, offset);
                int t = secondColumn is null ? 1 : 2;
                var y = new double[sizes[s] * t];
                for (int i = 0; i < sizes[s]; i++)
                {
                    y[i * t] = target(x, i)[0];
                    if (secondColumn is not null) y[i * t + 1] = secondColumn(x, i);
                }
                string xPath = Path.Combine(Folder, $"x{s}.npy"), yPath = Path.Combine(Folder, $"{yName}{s}.npy");
                Npy.Write(xPath, NdArray.FromTensor(ToTensor(x)));
                Npy.Write(yPath, t == 1 ? NdArray.Create("", y, y.Length) : NdArray.Create("", y, sizes[s], t));
                files.Add(new ShardFiles(s, xPath, yPath, null));
                allX.Add(x);
                allY.AddRange(y);
                offset += sizes[s];
            }
            Files = files;
            X = Concatenate(allX, d);
            Y = allY.ToArray();
            int columns = secondColumn is null ? 1 : 2;
            YMatrix = MtlTensor.FromArray(Y, Y.Length / columns, columns);
        }

        /// <summary>Y of all shards as (n, t).</summary>
        public MtlTensor<double> YMatrix { get; }

        public string Folder { get; }

        public IReadOnlyList<ShardFiles> Files { get; }

        /// <summary>The rows of all shards in order: what a local fit sees.</summary>
        public MtlTensor<double> X { get; }

        /// <summary>Y of all shards, flat (row-major when there are two columns).</summary>
        public double[] Y { get; }

        public void Dispose() => Directory.Delete(Folder, recursive: true);
    }

    public static MtlTensor<double> ToTensor(double[,] x)
    {
        int n = x.GetLength(0), d = x.GetLength(1);
        var values = new double[n * d];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++) values[i * d + j] = x[i, j];
        return MtlTensor.FromArray(values, n, d);
    }

    private static MtlTensor<double> Concatenate(List<double[,]> parts, int d)
    {
        var values = new List<double>();
        foreach (var part in parts)
            for (int i = 0; i < part.GetLength(0); i++)
                for (int j = 0; j < d; j++) values.Add(part[i, j]);
        return MtlTensor.FromArray(values.ToArray(), values.Count / d, d);
    }

    public static double MaxAbsDifference(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        Assert.Equal(a.Length, b.Length);
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
