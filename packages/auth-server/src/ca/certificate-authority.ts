import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Logger } from "@gatehouse/service-kit";
import type { AuthServerConfig } from "../config/schema.js";
import { AuthServerError } from "../errors.js";
import {
  generateAuthority,
  publishedAuthorities,
  readCaFile,
  readOperatorAuthority,
  serialNumber,
  signingAuthority,
  writeCaFile,
  type StoredAuthority,
} from "./ca-file.js";
import type { CertificateIdentity } from "./csr.js";
import { x509 } from "./x509.js";

/** Name of the generated CA file inside `ca.dir`. */
export const DEV_CA_FILE = "ca.json";

/** Seconds a certificate's `notBefore` lies in the past, for peers whose clocks run behind. */
const BACKDATE_SECONDS = 30;

// An RSA key may also be used for key transport (TLS 1.2 RSA key exchange); the flags combine as a bit mask.
const RSA_KEY_USAGE: x509.KeyUsageFlags = x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment;

/** A certificate the CA issued. */
export interface IssuedCertificate {
  /** `application/pem-certificate-chain`: the certificate, then the CA chain above it (without a self-signed root). */
  readonly chainPem: string;
  readonly serial: string;
  readonly notAfter: Date;
  /** Subject of the CA that signed it. */
  readonly issuer: string;
}

interface LoadedAuthority {
  readonly stored: StoredAuthority;
  readonly certificate: x509.X509Certificate;
  /** The certificates above this CA that go into every chain it issues (no self-signed root). */
  readonly chain: readonly x509.X509Certificate[];
}

/**
 * The auth server's certificate authority. Its authorities come from an operator CA or
 * intermediate (`ca.certFile` + `ca.keyFile`), a CA file (`ca.file`, rotated with
 * `gatehouse-auth ca rotate`), or one generated once and persisted under `ca.dir` (or per start,
 * `ca.generate: memory`). A CA file is re-read when it changes, so a rotation reaches a running
 * server without a restart: the new CA is published in the trust bundle before it signs, the
 * old ones stay published until their last certificate has expired.
 */
export class CertificateAuthority {
  readonly source: "operator" | "file" | "dev" | "memory";
  readonly file: string | undefined;
  #authorities: LoadedAuthority[];
  #mtimeMs = 0;

  private constructor(source: CertificateAuthority["source"], file: string | undefined, authorities: LoadedAuthority[]) {
    this.source = source;
    this.file = file;
    this.#authorities = authorities;
    if (file !== undefined && source !== "operator") this.#mtimeMs = statSync(file).mtimeMs;
    this.#signer(Date.now());
  }

  /** Loads or creates the CA the config names; throws `invalid_ca_file` naming the file. */
  static async fromConfig(config: AuthServerConfig["ca"], trustDomain: string, logger: Logger): Promise<CertificateAuthority> {
    if (config.certFile !== undefined && config.keyFile !== undefined) {
      const { authority, chain } = readOperatorAuthority(config.certFile, config.keyFile);
      return new CertificateAuthority("operator", config.certFile, [load(authority, chain)]);
    }
    if (config.file !== undefined) return new CertificateAuthority("file", config.file, readCaFile(config.file).authorities.map((a) => load(a)));
    if (config.generate === "memory") return new CertificateAuthority("memory", undefined, [load(await generateAuthority(trustDomain, new Date()))]);
    const file = resolve(join(config.dir, DEV_CA_FILE));
    if (!existsSync(file)) {
      writeCaFile(file, { authorities: [await generateAuthority(trustDomain, new Date())] });
      logger.warn({ file }, "generated a development certificate authority; use ca.certFile/ca.keyFile or ca.file in production");
    }
    return new CertificateAuthority("dev", file, readCaFile(file).authorities.map((a) => load(a)));
  }

  /** The trust bundle (PEM): the root of every published authority, so peers trust old and new certificates alike. */
  bundlePem(now = Date.now()): string {
    const anchors = new Map<string, string>();
    for (const authority of this.#published(now)) {
      const root = authority.chain.at(-1) ?? authority.certificate;
      anchors.set(root.serialNumber + root.subject, root.toString("pem"));
    }
    return `${[...anchors.values()].join("\n")}\n`;
  }

  /** Subjects of the published authorities, signer first (logs). */
  describe(now = Date.now()): { signing: string; published: string[] } {
    return { signing: this.#signer(now).certificate.subject, published: this.#published(now).map((a) => a.certificate.subject) };
  }

  /** Re-reads a CA file if it changed; true when new authorities were loaded. A bad file keeps the old ones. */
  reload(logger: Logger): boolean {
    if (this.file === undefined || this.source === "operator") return false;
    try {
      const mtimeMs = statSync(this.file).mtimeMs;
      if (mtimeMs === this.#mtimeMs) return false;
      this.#mtimeMs = mtimeMs;
      const authorities = readCaFile(this.file).authorities.map((a) => load(a));
      if (signingAuthority(authorities.map((a) => a.stored), Date.now()) === undefined) {
        throw new AuthServerError("invalid_ca_file", `${this.file}: no authority signs now`);
      }
      this.#authorities = authorities;
      logger.info({ file: this.file, ...this.describe() }, "certificate authorities reloaded");
      return true;
    } catch (error) {
      logger.error({ file: this.file, err: error }, "CA file could not be reloaded; keeping the current authorities");
      return false;
    }
  }

  /**
   * Signs a certificate for `publicKey`: the SPIFFE ID as the only URI SAN plus the registered DNS
   * names, `CN=<service id>`, not a CA, `digitalSignature` (and `keyEncipherment` for RSA), usable
   * as TLS client and server certificate, valid `ttlSeconds` but never past the signing CA.
   */
  async issue(publicKey: x509.PublicKey, identity: CertificateIdentity & { serviceId: string }, ttlSeconds: number, now = Date.now()): Promise<IssuedCertificate> {
    const signer = this.#signer(now);
    const signingKey = createPrivateKey(signer.stored.privateKey);
    const algorithm = signingAlgorithm(signingKey);
    const caPublicKey = createPublicKey(signingKey).toCryptoKey(algorithm, true, ["verify"]);
    // Whole seconds: what X.509 encodes, so the audit line states the exact expiry.
    const notAfter = new Date(Math.floor(Math.min(now + ttlSeconds * 1000, signer.certificate.notAfter.getTime()) / 1000) * 1000);
    const rsa = (publicKey.algorithm as { name: string }).name.startsWith("RSA");
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: serialNumber(),
      subject: `CN=${identity.serviceId}`,
      issuer: signer.certificate.subject,
      notBefore: new Date(now - BACKDATE_SECONDS * 1000),
      notAfter,
      signingAlgorithm: algorithm,
      publicKey,
      signingKey: signingKey.toCryptoKey(algorithm, false, ["sign"]),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(rsa ? RSA_KEY_USAGE : x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        new x509.SubjectAlternativeNameExtension([
          { type: "url", value: identity.spiffeId },
          ...identity.dnsNames.map((value) => ({ type: "dns" as const, value })),
          ...(identity.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
        ]),
        await x509.SubjectKeyIdentifierExtension.create(publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(caPublicKey),
      ],
    });
    const chain = [certificate, signer.certificate, ...signer.chain].filter((c) => c === certificate || !isSelfSigned(c));
    return {
      chainPem: `${chain.map((c) => c.toString("pem")).join("\n")}\n`,
      serial: certificate.serialNumber,
      notAfter,
      issuer: signer.certificate.subject,
    };
  }

  #published(now: number): LoadedAuthority[] {
    const published = new Set(publishedAuthorities(this.#authorities.map((a) => a.stored), now));
    return this.#authorities.filter((a) => published.has(a.stored));
  }

  #signer(now: number): LoadedAuthority {
    const stored = signingAuthority(this.#authorities.map((a) => a.stored), now);
    const signer = this.#authorities.find((a) => a.stored === stored);
    if (signer === undefined) throw new AuthServerError("invalid_ca_file", `${this.file ?? "certificate authority"}: no authority signs now (every one is retired or not yet due)`);
    return signer;
  }
}

function load(stored: StoredAuthority, chain: readonly string[] = []): LoadedAuthority {
  return { stored, certificate: new x509.X509Certificate(stored.certificate), chain: chain.map((pem) => new x509.X509Certificate(pem)) };
}

function isSelfSigned(certificate: x509.X509Certificate): boolean {
  return certificate.subject === certificate.issuer;
}

type SigningAlgorithm = { name: "ECDSA"; namedCurve: string; hash: string } | { name: "RSASSA-PKCS1-v1_5"; hash: string } | { name: "Ed25519" };

function signingAlgorithm(key: KeyObject): SigningAlgorithm {
  const details = key.asymmetricKeyDetails;
  switch (key.asymmetricKeyType) {
    case "ec": {
      const curve = details?.namedCurve === "secp384r1" ? "P-384" : details?.namedCurve === "secp521r1" ? "P-521" : "P-256";
      return { name: "ECDSA", namedCurve: curve, hash: curve === "P-256" ? "SHA-256" : curve === "P-384" ? "SHA-384" : "SHA-512" };
    }
    case "rsa":
      return { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    case "ed25519":
      return { name: "Ed25519" };
    default:
      throw new AuthServerError("invalid_ca_file", `CA key type ${key.asymmetricKeyType ?? "unknown"} is not supported (use EC, RSA or Ed25519)`);
  }
}
