import { readFileSync, statSync } from "node:fs";
import type { TlsOptions } from "node:tls";
import type { Logger } from "@gatehouse/service-kit";
import type { GatewayConfig } from "../config/schema.js";

/** The listener's TLS settings as configured. */
export type ListenerTlsConfig = NonNullable<GatewayConfig["listener"]["tls"]>;

/**
 * The HTTPS listener's options from its files: certificate, key, and (unless `clientCertificates: off`) the trust
 * bundle client certificates must chain to; `require` makes the TLS stack refuse a handshake without a valid one
 * (a TLS alert), `optional` asks and lets the binding step decide. Throws naming the file that cannot be read.
 */
export function listenerTlsOptions(tls: ListenerTlsConfig): TlsOptions {
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file, "utf8");
    } catch (error) {
      throw new Error(`listener.tls.${what}: ${file} cannot be read`, { cause: error });
    }
  };
  const clientCertificates = tls.clientCertificates === "off" ? {} : { ca: read(tls.trustBundleFile ?? "", "trustBundleFile"), requestCert: true, rejectUnauthorized: tls.clientCertificates === "require" };
  return { cert: read(tls.certFile ?? "", "certFile"), key: read(tls.keyFile ?? "", "keyFile"), minVersion: tls.minVersion, ...clientCertificates };
}

/**
 * Re-reads the listener's files every `reloadIntervalSeconds` and hands new options to `apply` (the server's
 * `setSecureContext`) when any of them changed: certificates are renewed without a restart. A file that cannot
 * be read keeps the current options and is logged. Returns a function that stops watching.
 */
export function watchListenerTls(tls: ListenerTlsConfig, apply: (options: TlsOptions) => void, logger: Logger): () => void {
  if (tls.reloadIntervalSeconds === 0 || tls.fromIssuer) return () => undefined;
  const files = [tls.certFile ?? "", tls.keyFile ?? "", ...(tls.trustBundleFile === undefined ? [] : [tls.trustBundleFile])];
  const stamp = () => files.map((file) => statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0).join(" ");
  let seen = stamp();
  const timer = setInterval(() => {
    const now = stamp();
    if (now === seen) return;
    seen = now;
    try {
      apply(listenerTlsOptions(tls));
      logger.info({ certFile: tls.certFile }, "listener TLS certificate reloaded");
    } catch (error) {
      logger.error({ err: { message: error instanceof Error ? error.message : String(error) } }, "listener TLS files could not be reloaded; keeping the current ones");
    }
  }, tls.reloadIntervalSeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
