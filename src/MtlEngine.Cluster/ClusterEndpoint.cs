using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MtlEngine.Cluster;

/// <summary>A host and port of the cluster: a silo's silo port (<c>--primary</c>) or a gateway (<c>--cluster</c>).</summary>
/// <param name="Host">A host name or IP address as written.</param>
/// <param name="Port">The TCP port, 1..65535.</param>
public sealed record ClusterEndpoint(string Host, int Port)
{
    /// <summary>Parses <c>HOST:PORT</c> (IPv6 as <c>[::1]:PORT</c>).</summary>
    /// <exception cref="ArgumentException">When the text is not HOST:PORT with a port in 1..65535.</exception>
    public static ClusterEndpoint Parse(string text, string option)
    {
        ArgumentNullException.ThrowIfNull(text);
        int colon = text.LastIndexOf(':');
        string host = colon > 0 ? text[..colon] : "";
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        if (host.Length == 0 || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
            throw new ArgumentException($"{option}: '{text}' is not HOST:PORT (for example 127.0.0.1:30000)");
        return new ClusterEndpoint(host, port);
    }

    /// <summary>Parses a comma-separated list of <c>HOST:PORT</c>.</summary>
    public static IReadOnlyList<ClusterEndpoint> ParseList(string text, string option)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new ArgumentException($"{option}: expected HOST:PORT[,HOST:PORT...], got '{text}'");
        return parts.Select(p => Parse(p, option)).ToArray();
    }

    /// <summary>True when the host is a loopback address or "localhost" (no other machine can reach it).</summary>
    public bool IsLoopback => IsLoopbackHost(Host);

    /// <summary>True when <paramref name="host"/> is a loopback address or "localhost".</summary>
    public static bool IsLoopbackHost(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));

    /// <summary>Resolves the host to one IPv4 (preferred) or IPv6 address and returns the IP end point.</summary>
    /// <exception cref="ArgumentException">When the host does not resolve.</exception>
    public IPEndPoint Resolve(string option)
    {
        if (IPAddress.TryParse(Host, out var ip)) return new IPEndPoint(ip, Port);
        if (string.Equals(Host, "localhost", StringComparison.OrdinalIgnoreCase)) return new IPEndPoint(IPAddress.Loopback, Port);
        IPAddress[] addresses;
        try
        {
            addresses = Dns.GetHostAddresses(Host);
        }
        catch (SocketException error)
        {
            throw new ArgumentException($"{option}: cannot resolve the host '{Host}' ({error.Message})", error);
        }
        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new ArgumentException($"{option}: the host '{Host}' has no address");
        return new IPEndPoint(chosen, Port);
    }

    /// <inheritdoc/>
    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
