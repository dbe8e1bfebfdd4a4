using System.Net;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MtlEngine.Cluster;

/// <summary>
/// Turns each TLS handshake that Orleans' connection security gives up on into one line naming the peer and why. Orleans'
/// TLS middleware only logs a warning ("Authentication failed") and closes the connection; this logger provider, added to
/// the silo's and the client's logging, watches exactly those two categories. The peer's address and the reason the
/// certificate check gave are noted per handshake in an <see cref="AsyncLocal{T}"/>, set by the TLS options' callbacks
/// (<see cref="ClusterSecurity"/>) in the same asynchronous flow that later logs the failure.
/// </summary>
internal sealed class TlsRefusals : ILoggerProvider
{
    private const string ServerCategory = "Orleans.Connections.Security.TlsServerConnectionMiddleware";
    private const string ClientCategory = "Orleans.Connections.Security.TlsClientConnectionMiddleware";

    private sealed class Handshake(EndPoint? remote)
    {
        public EndPoint? Remote { get; } = remote;
        public string? Reason { get; set; }
    }

    private static readonly AsyncLocal<Handshake?> Current = new();

    private readonly Action<string> _report;
    private readonly Dictionary<string, DateTime> _recent = [];
    private string? _lastFailure;

    /// <summary>A peer refused for the same reason within this window is not reported again (a client retrying to connect).</summary>
    public static readonly TimeSpan QuietPeriod = TimeSpan.FromSeconds(60);

    /// <param name="report">Receives each refusal as one line (the silo prints it; the client keeps it for its error).</param>
    public TlsRefusals(Action<string> report) => _report = report;

    /// <summary>The last handshake failure seen, as one line, or null.</summary>
    public string? LastFailure => Volatile.Read(ref _lastFailure);

    /// <summary>Starts the note of one handshake with <paramref name="remote"/> (called by the TLS options).</summary>
    public static void Begin(EndPoint? remote) => Current.Value = new Handshake(remote);

    /// <summary>Records why the certificate check refused the peer of the current handshake.</summary>
    public static void NoteReason(string reason)
    {
        if (Current.Value is { } handshake) handshake.Reason ??= reason;
    }

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => categoryName switch
    {
        ServerCategory => new Watcher(this, incoming: true),
        ClientCategory => new Watcher(this, incoming: false),
        _ => NullLogger.Instance,
    };

    /// <inheritdoc/>
    public void Dispose() { }

    private void Refused(bool incoming, Exception? error)
    {
        var handshake = Current.Value;
        string peer = handshake?.Remote?.ToString() ?? "a peer";
        string reason = handshake?.Reason ?? Reason(error, incoming);
        string line = incoming
            ? $"refused a connection from {peer}: {reason}"
            : $"the TLS handshake with {peer} failed: {reason}";
        Volatile.Write(ref _lastFailure, line);
        // One line per peer (its address without the port, which changes on each retry) and reason per quiet period.
        string key = $"{incoming}|{(handshake?.Remote as IPEndPoint)?.Address.ToString() ?? peer}|{reason}";
        var now = DateTime.UtcNow;
        lock (_recent)
        {
            if (_recent.TryGetValue(key, out var last) && now - last < QuietPeriod) return;
            _recent[key] = now;
        }
        _report(line);
    }

    private static string Reason(Exception? error, bool incoming)
    {
        if (error is OperationCanceledException) return "the TLS handshake timed out";
        string detail = error?.GetBaseException().Message ?? "no detail";
        if (error is AuthenticationException && detail.Contains("RemoteCertificateValidationCallback", StringComparison.Ordinal))
            return "it presented no certificate; every silo and client needs the cluster's --certificate";
        return incoming
            ? $"it did not complete a TLS handshake ({detail}); a client or silo without the cluster's --certificate, or one started with --insecure, is refused"
            : $"{detail}; the peer has no TLS (started with --insecure?) or refused this certificate: every silo and client needs the same --certificate";
    }

    private sealed class Watcher(TlsRefusals owner, bool incoming) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) owner.Refused(incoming, exception);
        }
    }
}
