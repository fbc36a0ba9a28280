/**
 * A fresh key pair and a PKCS#10 request for it, made in this process: the private key never leaves it.
 *
 * @module
 */
import { webcrypto } from "node:crypto";
import { x509 } from "./x509.js";

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

/** A private key (PKCS#8 PEM, kept in memory only) and a CSR (DER) signed with it. */
export interface KeyAndCsr {
  readonly keyPem: string;
  readonly csrDer: Buffer;
}

/** Makes an ECDSA P-256 key and a CSR whose subject the CA ignores (it names the certificate itself). */
export async function makeKeyAndCsr(clientId: string): Promise<KeyAndCsr> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]));
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${clientId}`, keys, signingAlgorithm: ALGORITHM });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  const body = pkcs8.toString("base64").replace(/.{64}/g, "$&\n").replace(/\n$/, "");
  return { keyPem: `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`, csrDer: Buffer.from(csr.rawData) };
}
