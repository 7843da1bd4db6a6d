/**
 * The server leg as a TLS client: implicit TLS (`--upstream-tls`, like port 993, RFC 8314 3.3) or
 * the upgrade after STARTTLS (RFC 3501 6.2.1). The certificate is verified by default against
 * Node's bundled roots, the system bundle and `--upstream-ca FILE`; the handshake itself never
 * rejects, so that the verdict can be recorded and told to the client in an IMAP `* BYE`.
 */
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import { isIP, type Socket } from 'node:net';
import * as tls from 'node:tls';
import type { TlsInfo } from '../../imap/events';
import { errorLine } from '../error-line';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS } from '../proxy-server';
import type { KeyLog } from './keylog';
import { parseSubjectAltName } from './leaf-factory';

/** Where Debian, Fedora/RHEL and Alpine/macOS keep the system CA bundle. */
const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'];
/** How a handshake is bounded, and who owns the TLS socket it makes. */
export interface HandshakeSetup {
  keylog?: KeyLog;
  /** Give up after this long (connect and handshake); default DEFAULT_HANDSHAKE_TIMEOUT_MS. */
  timeoutMs?: number;
  /**
   * Given the TLS socket as soon as it exists, so that its owner (the session) releases it on
   * every path; returning false (the session is over) abandons the handshake.
   */
  adopt?: (socket: Socket) => boolean;
}

/** How the upstream certificate is judged. */
export interface UpstreamTrust {
  /** `--insecure-upstream`: record the verdict but accept any certificate. */
  insecure: boolean;
  /** Shared context with the trust store (built once, see {@link upstreamTrustContext}). */
  context: tls.SecureContext;
  /** Names of the trust sources, for messages. */
  sources: string[];
}

/**
 * Build the trust store once per process: parsing ~150 root certificates per connection would
 * cost more than the handshake. `extraCaFile` is `--upstream-ca`; throws a one-line Error.
 */
export function upstreamTrustContext(extraCaFile: string | undefined, insecure: boolean): UpstreamTrust {
  const ca: string[] = [...tls.rootCertificates];
  const sources = ['Node bundled roots'];
  const system = SYSTEM_BUNDLES.find((f) => fs.existsSync(f));
  if (system) {
    ca.push(fs.readFileSync(system, 'utf8'));
    sources.push(system);
  }
  if (extraCaFile) {
    let pem: string;
    try {
      pem = fs.readFileSync(extraCaFile, 'utf8');
    } catch (err) {
      throw new Error(`cannot read --upstream-ca ${extraCaFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`--upstream-ca ${extraCaFile} holds no PEM certificate`);
    ca.push(pem);
    sources.push(extraCaFile);
  }
  return { insecure, context: tls.createSecureContext({ ca }), sources };
}

/** What the upstream handshake produced. */
export interface UpstreamTlsResult {
  socket: tls.TLSSocket;
  info: TlsInfo;
  /** The upstream certificate's subject alternative names (`DNS:x`, `IP Address:y`), copied into the leaf. */
  sans: string[];
  /** Why the certificate is refused; undefined when it is accepted (verified, or `--insecure-upstream`). */
  rejected?: string;
}

/** Where to connect: a host and port (implicit TLS) or an open plain socket (after STARTTLS). */
export interface UpstreamTarget {
  host: string;
  port: number;
  socket?: Socket;
}

/** Readable words for the verification errors users meet most; the OpenSSL code stays in brackets. */
const REASONS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'issuer not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'issuer not trusted',
  CERT_HAS_EXPIRED: 'certificate expired',
  CERT_NOT_YET_VALID: 'certificate not yet valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'host name does not match the certificate',
};

/** `self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)`. */
export function verificationReason(code: string): string {
  const words = REASONS[code];
  return words ? `${words} (${code})` : code;
}

/** `CN=localhost, O=Example`: an X.509 name on one line. */
export function oneLineName(name: string): string {
  return name.split('\n').filter((s) => s !== '').join(', ');
}

/**
 * Handshake with the server. Resolves once the handshake is done (whatever the verdict); rejects
 * when there is no TLS at all (refused connection, not a TLS server, timeout).
 */
export function connectUpstreamTls(target: UpstreamTarget, trust: UpstreamTrust, setup: HandshakeSetup = {}): Promise<UpstreamTlsResult> {
  // SNI carries host names only (RFC 6066 3); an IP is still checked against the IP SANs.
  const servername = isIP(target.host) ? undefined : target.host;
  // allowHalfOpen is honoured by tls.connect though missing from its type: a FIN is mirrored, not a close.
  const options: tls.ConnectionOptions & { allowHalfOpen: boolean } = {
    ...(target.socket ? { socket: target.socket } : { port: target.port }),
    host: target.host,
    servername,
    secureContext: trust.context,
    // Verified below, so that the verdict can be recorded and told to the client.
    rejectUnauthorized: false,
    allowHalfOpen: true,
  };
  const socket = tls.connect(options);
  setup.keylog?.attach(socket);
  return new Promise((resolve, reject) => {
    const bound = setup.timeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    const timer = setTimeout(() => socket.destroy(new Error(`no TLS handshake within ${bound / 1000} s`)), bound);
    const fail = (err: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(errorLine(err)));
    };
    socket.on('error', fail);
    // A socket closed without an error (destroyed by its owner): the handshake will not finish.
    const onClose = (): void => fail(new Error('the connection closed during the TLS handshake'));
    socket.once('close', onClose);
    if (setup.adopt && !setup.adopt(socket)) fail(new Error('the session ended before the TLS handshake'));
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.off('error', fail).off('close', onClose);
      const peer = socket.getPeerCertificate(false);
      let subject: string | undefined;
      let issuer: string | undefined;
      if (peer?.raw) {
        try {
          const x509 = new X509Certificate(peer.raw);
          subject = oneLineName(x509.subject);
          issuer = oneLineName(x509.issuer);
        } catch {
          // A certificate OpenSSL took but Node cannot parse: the handshake stands, the names are unknown.
        }
      }
      const error = socket.authorized ? undefined : String(socket.authorizationError ?? 'not verified');
      const verdict = error === undefined ? 'verified'
        : trust.insecure ? `insecure (not verified: ${verificationReason(error)})` : `rejected: ${verificationReason(error)}`;
      const cipher = socket.getCipher();
      const info: TlsInfo = {
        leg: 'server', version: socket.getProtocol() ?? '?', cipher: cipher.standardName ?? cipher.name,
        ...(servername ? { sni: servername } : {}),
        ...(socket.alpnProtocol ? { alpn: socket.alpnProtocol } : {}),
        ...(subject ? { peerSubject: subject, peerIssuer: issuer } : {}),
        verdict,
      };
      resolve({
        socket, info, sans: parseSubjectAltName(peer?.subjectaltname),
        ...(error !== undefined && !trust.insecure ? { rejected: verificationReason(error) } : {}),
      });
    });
  });
}
