import { webcrypto } from "node:crypto";
import { x509 } from "../../src/ca/x509.js";

/** A key pair and a CSR signed with it, as a service makes them. */
export interface ServiceCsr {
  readonly keys: webcrypto.CryptoKeyPair;
  readonly der: Buffer;
  /** The private key as PKCS#8 PEM, for a TLS client. */
  readonly keyPem: string;
}

type KeyKind = "P-256" | "P-384" | "P-521" | "RSA-1024" | "RSA-2048" | "Ed25519";

type GenerateParams = webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams | webcrypto.Algorithm;
type SignParams = webcrypto.RsaPssParams | webcrypto.EcdsaParams | webcrypto.Algorithm;

function algorithmOf(kind: KeyKind): { generate: GenerateParams; sign: SignParams } {
  switch (kind) {
    case "RSA-1024":
    case "RSA-2048":
      return {
        generate: { name: "RSASSA-PKCS1-v1_5", modulusLength: kind === "RSA-1024" ? 1024 : 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
        sign: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      };
    case "Ed25519":
      return { generate: { name: "Ed25519" }, sign: { name: "Ed25519" } };
    default:
      return { generate: { name: "ECDSA", namedCurve: kind }, sign: { name: "ECDSA", hash: kind === "P-256" ? "SHA-256" : "SHA-384" } };
  }
}

/** Makes a key and a PKCS#10 request, optionally with SANs and a subject of its choosing. */
export async function makeCsr(options: { key?: KeyKind; subject?: string; uris?: string[]; dnsNames?: string[] } = {}): Promise<ServiceCsr> {
  const { generate, sign } = algorithmOf(options.key ?? "P-256");
  const keys = (await webcrypto.subtle.generateKey(generate, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const names = [...(options.uris ?? []).map((value) => ({ type: "url" as const, value })), ...(options.dnsNames ?? []).map((value) => ({ type: "dns" as const, value }))];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: options.subject ?? "CN=ignored",
    keys,
    signingAlgorithm: sign,
    extensions: names.length === 0 ? [] : [new x509.SubjectAlternativeNameExtension(names)],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString("base64").replace(/.{64}/g, "$&\n").replace(/\n?$/, "\n")}-----END PRIVATE KEY-----\n`;
  return { keys, der: Buffer.from(csr.rawData), keyPem };
}
