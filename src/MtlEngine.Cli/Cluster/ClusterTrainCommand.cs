using System.CommandLine;
using System.Globalization;
using MtlEngine.Cli.Train;
using MtlEngine.Cluster;
using MtlEngine.Nn;

namespace MtlEngine.Cli.Cluster;

/// <summary>How <c>mtl train ... --cluster HOST:GATEWAY</c> reaches the cluster.</summary>
/// <param name="Gateways">The gateways.</param>
/// <param name="Security">The cluster's certificate, or plain (loopback only).</param>
/// <param name="ShardTimeoutSeconds">Seconds one slice of a step may take before it is re-run on another silo.</param>
/// <param name="ConnectTimeoutSeconds">Seconds connecting may take.</param>
/// <param name="Slices">Slices per batch; null: one per active silo.</param>
internal sealed record ClusterTrainSettings(IReadOnlyList<ClusterEndpoint> Gateways, ClusterSecurity Security, double ShardTimeoutSeconds,
    double ConnectTimeoutSeconds, int? Slices = null);

/// <summary>
/// The silo side of <c>mtl train --cluster</c>: a replica of the job is the spec at the job's path, its files read and its
/// model built exactly as <c>mtl train</c> does on the coordinator.
/// </summary>
internal sealed class TrainSpecReplicas : IReplicaLoader
{
    public TrainingReplica Load(string job)
    {
        var spec = TrainSpec.Load(job);
        var data = TrainRun.Prepare(spec);
        return new TrainingReplica(TrainRun.BuildModel(spec, data.Preprocessing, data.TaskSpecs), data.Dataset);
    }
}

/// <summary>
/// <c>mtl train --spec S --out D --cluster HOST:GATEWAY (--certificate FILE | --insecure)</c>: exact synchronous
/// data-parallel training (<see cref="ClusterTraining"/>): the coordinator keeps the model and the optimizer, each step's
/// batch is cut into one slice per silo, the silos compute the slices' gradients on their own copy of the data (they read
/// the spec's files at the same paths), and the coordinator sums them in slice order: the local run to float rounding.
/// </summary>
internal sealed class ClusterTrainSession : IDisposable
{
    private readonly ClusterConnection _connection;

    private ClusterTrainSession(ClusterConnection connection, ClusterTraining training)
    {
        _connection = connection;
        Training = training;
    }

    /// <summary>The trainer's step gradients.</summary>
    public ClusterTraining Training { get; }

    /// <summary>The options of <c>mtl train</c> for a cluster run, and how to read them.</summary>
    public static (Option[] Options, Func<ParseResult, ClusterTrainSettings?> Read) Options()
    {
        var cluster = new Option<string?>("--cluster") { Description = "Train data-parallel on an Orleans cluster: HOST:GATEWAY[,HOST:GATEWAY...] of its silos ('mtl cluster silo'); the silos read the spec's files at the same paths." };
        var security = ClusterCommand.SecurityOptions();
        var stepTimeout = new Option<double>("--shard-timeout") { Description = "Seconds one slice of a step may take before it is re-run on another silo (with --cluster).", DefaultValueFactory = _ => 600 };
        var connectTimeout = new Option<double>("--connect-timeout") { Description = "Seconds connecting to the cluster may take (with --cluster).", DefaultValueFactory = _ => 30 };
        var slices = new Option<int?>("--slices") { Description = "Slices per batch with --cluster (default: one per active silo); the result does not depend on it beyond rounding." };
        return ([cluster, security.Certificate, security.Password, security.Insecure, stepTimeout, connectTimeout, slices], parsed =>
        {
            if (parsed.GetValue(cluster) is not string gateways)
            {
                if (parsed.GetValue(security.Certificate) is not null || parsed.GetValue(security.Insecure) || parsed.GetValue(slices) is not null)
                    throw new UsageException("--certificate, --insecure and --slices apply to a cluster run; add --cluster HOST:GATEWAY or leave them out");
                return null;
            }
            try
            {
                return new ClusterTrainSettings(ClusterEndpoint.ParseList(gateways, "--cluster"), ClusterCommand.Security(parsed, security),
                    parsed.GetValue(stepTimeout), parsed.GetValue(connectTimeout), parsed.GetValue(slices));
            }
            catch (ArgumentException error)
            {
                throw new UsageException(error.Message);
            }
        });
    }

    /// <summary>Checks that the run can be split exactly, connects and prepares the slices.</summary>
    public static ClusterTrainSession Start(ClusterTrainSettings settings, string specPath, TrainingSpec training, MultiTaskModel<float> model,
        MultiTaskDataset<float> data, string deviceName, TextWriter stdout)
    {
        if (!string.Equals(deviceName, "cpu", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"--device {deviceName}: a cluster run computes on the silos' CPUs; leave --device out");
        if (!(settings.ShardTimeoutSeconds > 0) || double.IsInfinity(settings.ShardTimeoutSeconds))
            throw new UsageException($"--shard-timeout must be a positive number of seconds, not {settings.ShardTimeoutSeconds.ToString(CultureInfo.InvariantCulture)}");
        if (!(settings.ConnectTimeoutSeconds > 0) || double.IsInfinity(settings.ConnectTimeoutSeconds))
            throw new UsageException($"--connect-timeout must be a positive number of seconds, not {settings.ConnectTimeoutSeconds.ToString(CultureInfo.InvariantCulture)}");
        if (settings.Slices is < 1) throw new UsageException($"--slices must be at least 1, not {settings.Slices}");
        // rep_grad and MGDA-UB aggregate the representation's gradients: two rounds per step (the slices' rows of them, then
        // each slice's rows of the direction to push through its encoder).
        bool representation = training.RepGrad || training.Weighting == "mgda-ub";
        // ew and fixed send one summed gradient per slice; every other strategy (and the conflict record) each task's.
        bool perTask = training.Weighting is not ("ew" or "fixed") || training.GradientConflict || representation;
        var weights = model.Tasks.Select(t => training.Weighting == "fixed" ? t.Weight : 1.0).ToArray();
        try
        {
            DataParallel.CheckReplicable(model);
            if (representation) DataParallel.CheckRepresentationSlices(model);
        }
        catch (ArgumentException error)
        {
            throw new UsageException(error.Message);
        }
        var timeout = TimeSpan.FromSeconds(settings.ShardTimeoutSeconds);
        ClusterConnection? connection = null;
        try
        {
            connection = ClusterConnection.ConnectAsync(settings.Gateways, settings.Security, timeout, TimeSpan.FromSeconds(settings.ConnectTimeoutSeconds))
                .GetAwaiter().GetResult();
            var session = ClusterTraining.CreateAsync(connection, Path.GetFullPath(specPath), model, data, weights,
                new ClusterFitOptions { ShardTimeout = timeout }, settings.Slices, perTask, representation).GetAwaiter().GetResult();
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"cluster: {session.Slices} slice{(session.Slices == 1 ? "" : "s")} per batch{(representation ? ", per-task representation gradients (2 rounds per step)" : perTask ? ", per-task gradients" : "")} on {session.Silos.Count} silo{(session.Silos.Count == 1 ? "" : "s")} ({string.Join(", ", session.Silos)}); {DataParallel.ParameterLength(model)} parameters, {session.BytesPerStep(training.BatchSize)} bytes per step of {training.BatchSize} rows"));
            return new ClusterTrainSession(connection, session);
        }
        catch (ClusterException error)
        {
            connection?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw new UsageException(error.Message);
        }
    }

    /// <summary>Says which silo ran which slice and the time in the cluster's rounds.</summary>
    public void Report(TextWriter stdout)
    {
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cluster: {Training.Steps} steps, {Training.Elapsed.TotalSeconds:F3} s in rounds ({1000 * Training.Elapsed.TotalSeconds / Math.Max(1, Training.Steps):F2} ms per step)"));
        var silos = Training.SliceSilos;
        for (int s = 0; s < silos.Count; s++) stdout.WriteLine($"  slice {s}: on {string.Join(" then ", silos[s])}");
    }

    /// <summary>Releases the slices' grains and closes the connection.</summary>
    public void Dispose()
    {
        Training.ReleaseAsync().GetAwaiter().GetResult();
        _connection.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
