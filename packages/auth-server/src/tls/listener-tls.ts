import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { readFileSync } from "node:fs";
import type { SecureContextOptions } from "node:tls";
import type { Logger } from "@gatehouse/service-kit";
import type { CertificateAuthority } from "../ca/certificate-authority.js";
import { spiffeIdOf } from "../ca/spiffe.js";
import { x509 } from "../ca/x509.js";
import type { AuthServerConfig } from "../config/schema.js";
import { AuthServerError } from "../errors.js";

/** The service id in the SPIFFE ID of the auth server's own certificate (`tls: { fromCa: true }`). */
export const AUTH_SERVER_IDENTITY = "gatehouse-auth";

/** The auth server's HTTPS identity: what its listener presents and which client certificates it trusts. */
export interface ListenerTls {
  /** The current secure context options (server certificate, key, trust bundle for client certificates). */
  options(): SecureContextOptions;
  /** Renews the certificate when half its lifetime passed, re-reads files, refreshes the trust bundle; true when anything changed. */
  refresh(): Promise<boolean>;
}

/**
 * Builds the HTTPS listener's identity. `{ certFile, keyFile }`: the operator's certificate (re-read
 * on `refresh`). `{ fromCa: true }`: a key made in this process and a certificate from the server's
 * own CA for `spiffe://<trust domain>/gatehouse-auth` and the issuer's host (DNS or IP SAN), renewed
 * at half its lifetime. Either way client certificates are checked against the CA's trust bundle.
 */
export async function createListenerTls(
  config: NonNullable<AuthServerConfig["tls"]>,
  authority: CertificateAuthority,
  identity: { trustDomain: string; host: string; ttlSeconds: number },
  logger: Logger,
): Promise<ListenerTls> {
  let key = "";
  let cert = "";
  let renewAt = 0;
  let bundle = authority.bundlePem();

  const fromFiles = (files: { certFile: string; keyFile: string }) => {
    try {
      return { cert: readFileSync(files.certFile, "utf8"), key: readFileSync(files.keyFile, "utf8") };
    } catch (error) {
      throw new AuthServerError("invalid_config", `tls: ${files.certFile} or ${files.keyFile} cannot be read`, { cause: error });
    }
  };

  const fromCa = async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const spki = publicKey.export({ format: "der", type: "spki" });
    const host = identity.host.replace(/^\[|\]$/g, "");
    const issued = await authority.issue(
      new x509.PublicKey(new Uint8Array(spki)),
      {
        serviceId: AUTH_SERVER_IDENTITY,
        spiffeId: spiffeIdOf(identity.trustDomain, AUTH_SERVER_IDENTITY),
        dnsNames: isIP(host) === 0 ? [host] : [],
        ipAddresses: isIP(host) === 0 ? [] : [host],
      },
      identity.ttlSeconds,
    );
    // Half of the lifetime from now (`notBefore` is backdated for slow clocks, so it is not the start).
    renewAt = Date.now() + (issued.notAfter.getTime() - Date.now()) / 2;
    return { cert: issued.chainPem, key: privateKey.export({ format: "pem", type: "pkcs8" }).toString() };
  };

  const load = async () => ("fromCa" in config ? await fromCa() : fromFiles(config));
  ({ cert, key } = await load());

  return {
    options: () => ({ cert, key, ca: bundle, minVersion: "TLSv1.2" }),
    async refresh() {
      let changed = false;
      const currentBundle = authority.bundlePem();
      if (currentBundle !== bundle) {
        bundle = currentBundle;
        changed = true;
      }
      if ("fromCa" in config ? Date.now() >= renewAt : true) {
        const next = await load();
        if (next.cert !== cert || next.key !== key) {
          ({ cert, key } = next);
          changed = true;
          logger.info({ subject: new X509Certificate(cert).subject, notAfter: new X509Certificate(cert).validTo }, "auth server TLS certificate renewed");
        }
      }
      return changed;
    },
  };
}
