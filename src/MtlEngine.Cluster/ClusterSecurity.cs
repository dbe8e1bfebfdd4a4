using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Orleans.Connections.Security;

namespace MtlEngine.Cluster;

/// <summary>
/// Who may join a cluster. With TLS (the default) every silo and every fitting client holds the same certificate with its
/// private key (a PKCS#12 .pfx/.p12 file, or a PEM file with the certificate and its key): each connection, silo to silo
/// and client to gateway, is Orleans' TLS (<c>UseTls</c> of Microsoft.Orleans.Connections.Security) with a certificate
/// required on both ends, and a peer is accepted only when the certificate it presents is the cluster's own (same SHA-256
/// thumbprint; the certificate may be self-signed, since holding its private key is what admits a peer). A peer without
/// it is refused: <see cref="TlsRefusals"/> turns each refused handshake into one line. <see cref="Insecure"/> turns TLS
/// off, which the silo and the client allow only on loopback addresses.
/// </summary>
public sealed class ClusterSecurity
{
    private ClusterSecurity(X509Certificate2? certificate) => Certificate = certificate;

    /// <summary>The cluster's certificate (with its private key), or null for <see cref="Insecure"/>.</summary>
    public X509Certificate2? Certificate { get; }

    /// <summary>True for plain connections (no TLS), allowed on loopback only.</summary>
    public bool IsInsecure => Certificate is null;

    /// <summary>Plain TCP without TLS: for a cluster on one machine's loopback interface only.</summary>
    public static ClusterSecurity Insecure { get; } = new(null);

    /// <summary>TLS with <paramref name="certificate"/>, which must carry its private key.</summary>
    /// <exception cref="ArgumentException">When the certificate has no private key.</exception>
    public static ClusterSecurity Tls(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (!certificate.HasPrivateKey)
            throw new ArgumentException($"the certificate {certificate.Subject} has no private key; give every silo and client the certificate with its key (.pfx, or a PEM file with the key)");
        return new ClusterSecurity(certificate);
    }

    /// <summary>
    /// The security of <c>--certificate FILE [--certificate-password P] [--insecure]</c>: exactly one of a certificate
    /// and --insecure.
    /// </summary>
    /// <exception cref="ArgumentException">When both or neither are given, or the file cannot be read as a certificate with its key.</exception>
    public static ClusterSecurity FromOptions(string? certificatePath, string? password, bool insecure)
    {
        if (insecure && certificatePath is not null)
            throw new ArgumentException("--insecure and --certificate exclude each other: pass the cluster's certificate, or --insecure for a loopback-only cluster without TLS");
        if (insecure) return Insecure;
        if (certificatePath is null)
            throw new ArgumentException("--certificate FILE is required: every silo and client of the cluster needs the cluster's certificate with its private key (make one with 'mtl cluster certificate --out cluster.pfx'); --insecure allows plain connections on loopback only");
        return Tls(LoadCertificate(certificatePath, password));
    }

    /// <summary>Reads a certificate with its private key from a .pfx/.p12 (PKCS#12) or .pem file.</summary>
    /// <exception cref="ArgumentException">When the file is missing or is not a certificate with its key.</exception>
    public static X509Certificate2 LoadCertificate(string path, string? password)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new ArgumentException($"{path} (--certificate): no such file");
        try
        {
            if (path.EndsWith(".pem", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".crt", StringComparison.OrdinalIgnoreCase))
            {
                var pem = password is null ? X509Certificate2.CreateFromPemFile(path) : X509Certificate2.CreateFromEncryptedPemFile(path, password);
                // An ephemeral PEM key is exported to PKCS#12 and read back so that TLS can use it on every platform.
                return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            }
            return X509CertificateLoader.LoadPkcs12FromFile(path, password);
        }
        catch (CryptographicException error)
        {
            throw new ArgumentException($"{path} (--certificate): cannot read a certificate with its private key ({error.Message}); pass a .pfx/.p12 file (with --certificate-password if it has one) or a PEM file holding the certificate and its key", error);
        }
    }

    /// <summary>
    /// A self-signed certificate for a cluster, usable for TLS server and client authentication (RSA 2048, SHA-256).
    /// Tests make one in process; <c>mtl cluster certificate</c> writes one to a file.
    /// </summary>
    public static X509Certificate2 CreateSelfSigned(string subject = "CN=mtl-cluster", int validDays = 365)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication"), new Oid("1.3.6.1.5.5.7.3.2", "Client Authentication")], false));
        var now = DateTimeOffset.UtcNow;
        using var created = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(validDays));
        // Through PKCS#12 so that the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>
    /// Refuses plain connections to or on a host that is not loopback: --insecure is for one machine only.
    /// </summary>
    /// <exception cref="ArgumentException">When this is <see cref="Insecure"/> and a host is not a loopback address.</exception>
    public void RequireLoopbackIfInsecure(IEnumerable<string> hosts, string option)
    {
        if (!IsInsecure) return;
        foreach (var host in hosts)
            if (!ClusterEndpoint.IsLoopbackHost(host))
                throw new ArgumentException($"{option}: --insecure (no TLS) is allowed on loopback only, but '{host}' is not a loopback address; give the silos and the client the cluster's --certificate instead");
    }

    /// <summary>True when <paramref name="remote"/> is the cluster's certificate (same SHA-256 thumbprint).</summary>
    internal bool IsClusterCertificate(X509Certificate2? remote) =>
        remote is not null && Certificate is not null
        && remote.GetCertHash(HashAlgorithmName.SHA256).AsSpan().SequenceEqual(Certificate.GetCertHash(HashAlgorithmName.SHA256));

    /// <summary>The TLS options of a silo or client: our certificate, theirs required and pinned to ours.</summary>
    internal void ConfigureTls(TlsOptions options)
    {
        options.LocalCertificate = Certificate;
        options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
        options.HandshakeTimeout = TimeSpan.FromSeconds(10);
        options.RemoteCertificateValidation = (certificate, _, _) =>
        {
            bool ours = IsClusterCertificate(certificate);
            if (!ours) TlsRefusals.NoteReason($"it presented another certificate ({certificate.Subject}, SHA-256 {Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256))[..16]}…) than the cluster's");
            return ours;
        };
        options.OnAuthenticateAsServer = (connection, _) => TlsRefusals.Begin(connection.RemoteEndPoint);
        options.OnAuthenticateAsClient = (connection, ssl) =>
        {
            TlsRefusals.Begin(connection.RemoteEndPoint);
            // SNI carries the certificate's name; the peer is checked by thumbprint, not by host name.
            ssl.TargetHost = Certificate!.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        };
    }
}
