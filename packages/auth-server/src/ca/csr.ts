import { x509 } from "./x509.js";

/** Why a CSR was refused; the message is safe to show the caller (400 `invalid_request`). */
export class CsrRejected extends Error {
  override readonly name = "CsrRejected";
}

/** The identity a certificate is issued for. */
export interface CertificateIdentity {
  readonly spiffeId: string;
  readonly dnsNames: readonly string[];
  /** IP address SANs (only the auth server's own listener certificate has them). */
  readonly ipAddresses?: readonly string[];
}

/** Largest CSR accepted, in bytes of DER (an RSA-8192 request is about 2.2 KB). */
const MAX_CSR_BYTES = 8192;
/** What a CSR key's algorithm says about its strength. */
interface PublicKeyAlgorithm {
  readonly name: string;
  readonly namedCurve?: string;
  readonly modulusLength?: number;
}

const CURVES = new Set(["P-256", "P-384"]);
const RSA_NAMES = new Set(["RSASSA-PKCS1-v1_5", "RSA-PSS", "RSA-OAEP"]);
const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 8192;

/**
 * Reads a PKCS#10 request (RFC 2986) from base64url (or base64) DER and checks what the CA relies
 * on: it parses, its signature verifies with its own key (proof of possession), and the key is
 * strong enough: ECDSA P-256 or P-384, Ed25519, or RSA of 2048 to 8192 bits. The subject is
 * ignored (the CA names the certificate); requested SANs must all belong to `identity`: the
 * service's SPIFFE ID and its registered DNS names, so a request for another service's identity
 * is refused instead of silently narrowed.
 */
export async function readCsr(encoded: string, identity: CertificateIdentity): Promise<x509.Pkcs10CertificateRequest> {
  const der = decode(encoded);
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(der);
  } catch {
    throw new CsrRejected("csr is not a DER PKCS#10 certificate request");
  }
  let verified: boolean;
  try {
    verified = await csr.verify();
  } catch {
    verified = false;
  }
  if (!verified) throw new CsrRejected("the CSR signature does not verify with its public key");
  checkKey(csr.publicKey.algorithm as PublicKeyAlgorithm);
  checkNames(csr, identity);
  return csr;
}

function decode(encoded: string): Uint8Array<ArrayBuffer> {
  const compact = encoded.replace(/\s+/g, "");
  if (compact === "" || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(compact)) throw new CsrRejected("csr must be base64url (or base64) DER");
  const der = Buffer.from(compact.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""), "base64url");
  if (der.length > MAX_CSR_BYTES) throw new CsrRejected(`csr larger than ${MAX_CSR_BYTES} bytes`);
  return new Uint8Array(der);
}

function checkKey(algorithm: PublicKeyAlgorithm): void {
  if (algorithm.name === "ECDSA" || algorithm.name === "ECDH") {
    if (algorithm.namedCurve !== undefined && CURVES.has(algorithm.namedCurve)) return;
    throw new CsrRejected(`unsupported curve ${algorithm.namedCurve ?? "(unnamed)"}: use P-256 or P-384`);
  }
  if (algorithm.name === "Ed25519") return;
  if (RSA_NAMES.has(algorithm.name)) {
    const bits = algorithm.modulusLength ?? 0;
    if (bits >= MIN_RSA_BITS && bits <= MAX_RSA_BITS) return;
    throw new CsrRejected(`RSA key of ${bits} bits: use ${MIN_RSA_BITS} to ${MAX_RSA_BITS} bits`);
  }
  throw new CsrRejected(`unsupported key type ${algorithm.name}: use ECDSA P-256/P-384, Ed25519 or RSA of at least ${MIN_RSA_BITS} bits`);
}

function checkNames(csr: x509.Pkcs10CertificateRequest, identity: CertificateIdentity): void {
  const san = csr.extensions.find((extension) => extension instanceof x509.SubjectAlternativeNameExtension);
  if (san === undefined) return;
  for (const name of san.names.items) {
    const allowed =
      (name.type === "url" && name.value === identity.spiffeId) || (name.type === "dns" && identity.dnsNames.includes(name.value.toLowerCase()));
    if (!allowed) {
      throw new CsrRejected(`the CSR asks for ${name.type === "url" ? "URI" : name.type.toUpperCase()} SAN "${name.value}", which is not this service's (${identity.spiffeId} and its registered dnsNames only)`);
    }
  }
}
