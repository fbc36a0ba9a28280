import { readFileSync, statSync } from "node:fs";
import type { PeerCertificate } from "node:tls";
import { spiffeIdOf } from "@gatehouse/sdk";
import type { Logger } from "@gatehouse/service-kit";
import { buildConnector } from "undici";
import type { GatewayConfig } from "../config/schema.js";

/** The gateway's TLS settings towards `https://` upstreams. */
export type UpstreamTlsConfig = NonNullable<GatewayConfig["proxy"]["tls"]>;

interface Material {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

/**
 * TLS towards `https://` upstreams: the trust bundle upstream certificates must chain to (system CAs without it)
 * and the gateway's own Gatehouse certificate, presented to backends that require one. A route's
 * `upstreamIdentity` pins the SPIFFE ID the upstream's certificate must carry; the pin replaces the host name
 * check (SPIFFE identities, not DNS names, say who a service is). Files are re-read when they change, and new
 * connections use the new material at once (connections in flight keep theirs).
 */
export class UpstreamTls {
  readonly #config: UpstreamTlsConfig | undefined;
  #material: Material;
  #version = 0;
  #stamp = "";
  readonly #connectors = new Map<string, { version: number; connect: buildConnector.connector }>();

  constructor(config: UpstreamTlsConfig | undefined) {
    this.#config = config;
    this.#material = this.#read();
    this.#stamp = this.#stampOf();
  }

  /** Uses the gateway identity's key, certificate and trust bundle (`proxy.tls.fromIssuer`), from now on. */
  useIdentity(material: { key: string; cert: string; ca: string }): void {
    this.#material = material;
    this.#version++;
  }

  /** A connector for one upstream pool: the current material, and `pin` checked on every handshake when set. */
  connector(pin: string | undefined, timeoutMs: number): buildConnector.connector {
    const key = `${pin ?? ""} ${String(timeoutMs)}`;
    return (options, callback) => {
      let built = this.#connectors.get(key);
      if (built?.version !== this.#version) {
        built = { version: this.#version, connect: buildConnector({ timeout: timeoutMs, ...this.#material, ...(pin === undefined ? {} : { checkServerIdentity: pinned(pin) }) }) };
        this.#connectors.set(key, built);
      }
      built.connect(options, callback);
    };
  }

  /** Re-reads the files every `reloadIntervalSeconds` when they changed; returns a function that stops it. */
  watch(logger: Logger): () => void {
    const everyMs = (this.#config?.reloadIntervalSeconds ?? 0) * 1000;
    if (everyMs === 0) return () => undefined;
    const timer = setInterval(() => {
      const stamp = this.#stampOf();
      if (stamp === this.#stamp) return;
      this.#stamp = stamp;
      try {
        this.#material = this.#read();
        this.#version++;
        logger.info("upstream TLS certificate reloaded");
      } catch (error) {
        logger.error({ err: { message: error instanceof Error ? error.message : String(error) } }, "upstream TLS files could not be reloaded; keeping the current ones");
      }
    }, everyMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  #files(): string[] {
    const c = this.#config;
    return c === undefined ? [] : [c.trustBundleFile, c.certFile, c.keyFile].filter((f): f is string => f !== undefined);
  }

  #stampOf(): string {
    return this.#files().map((file) => statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0).join(" ");
  }

  #read(): Material {
    const c = this.#config;
    if (c === undefined || c.fromIssuer) return {};
    const read = (file: string | undefined, what: string) => {
      if (file === undefined) return {};
      try {
        return { [what]: readFileSync(file, "utf8") };
      } catch (error) {
        throw new Error(`proxy.tls: ${file} cannot be read`, { cause: error });
      }
    };
    return { ...read(c.trustBundleFile, "ca"), ...read(c.certFile, "cert"), ...read(c.keyFile, "key") };
  }
}

/** A `checkServerIdentity` that accepts exactly the certificate whose SPIFFE ID is `pin`. */
function pinned(pin: string): (host: string, certificate: PeerCertificate) => Error | undefined {
  return (_host, certificate) => {
    const id = spiffeIdOf(certificate.raw);
    return id === pin ? undefined : new Error(`the upstream's certificate names ${id ?? "no SPIFFE ID"}, not ${pin}`);
  };
}
