import { readFileSync } from "node:fs";
import type { TlsOptions } from "node:tls";
import { createServiceIdentity, type ServiceIdentity } from "@gatehouse/sdk";
import type { GatewayConfig } from "../config/schema.js";
import type { ListenerTlsConfig } from "./listener-tls.js";

/**
 * The gateway's own Gatehouse identity when a `fromIssuer` setting needs it: the SDK's `createServiceIdentity`
 * (key made in this process, certificate from the issuer's CA, renewed at half-life) authenticated with the
 * `identity` secret, trusting `verifier.trustBundleFile` for an HTTPS issuer. Throws naming a missing secret.
 */
export function gatewayIdentity(config: GatewayConfig, env: NodeJS.ProcessEnv): ServiceIdentity | undefined {
  const wanted = config.listener.tls?.fromIssuer === true || config.proxy.tls?.fromIssuer === true;
  const identity = config.identity;
  if (!wanted || identity === undefined) return undefined;
  let secret: string | undefined;
  if (identity.secretEnv !== undefined) secret = env[identity.secretEnv];
  else if (identity.secretFile !== undefined) {
    try {
      secret = readFileSync(identity.secretFile, "utf8").trim();
    } catch (error) {
      throw new Error(`identity.secretFile: ${identity.secretFile} cannot be read`, { cause: error });
    }
  }
  if (secret === undefined || secret === "") throw new Error(`identity: the gateway's client secret (${identity.secretEnv ?? identity.secretFile ?? ""}) is not set`);
  const trustBundle = config.verifier.trustBundleFile;
  return createServiceIdentity({
    issuer: config.issuer,
    clientId: identity.clientId,
    auth: { method: identity.method, clientSecret: secret },
    ...(trustBundle === undefined ? {} : { trustBundle }),
  });
}

/** The listener's secure context from the identity: its key and certificate, and its trust bundle for client certificates. */
export function identityListenerOptions(identity: ServiceIdentity, tls: ListenerTlsConfig): TlsOptions {
  const { key, cert, ca } = identity.tlsOptions();
  const clientCertificates = tls.clientCertificates === "off" ? {} : { ca, requestCert: true, rejectUnauthorized: tls.clientCertificates === "require" };
  return { key, cert, minVersion: tls.minVersion, ...clientCertificates };
}
