import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gatewayMain } from "../paths.js";
import { benchIdentity } from "./auth.js";
import { probe, waitForHttp, type ProbeTls } from "./net.js";
import type { ProcessGroup, Started } from "../../lib/processes.js";

/** One gateway process (or cluster) under test. */
export interface GatewayUnderTest {
  readonly name: string;
  readonly process: Started;
  readonly url: string;
  readonly adminUrl: string;
  readonly configFile: string;
}

export interface GatewayOptions {
  readonly name: string;
  readonly port: number;
  readonly adminPort: number;
  readonly workers: number;
  readonly issuer: string;
  readonly originPort: number;
  readonly redisUrl: string;
  /** Unique per run and gateway, so that concurrent users of the Redis never share keys. */
  readonly keyPrefix: string;
  readonly ratePerMinute: number;
  readonly accessLog: boolean;
  /** Security events to a stream of the run's own (`<keyPrefix>events`); on unless false. */
  readonly events?: boolean;
  /** Extra node options, e.g. `--cpu-prof`. */
  readonly nodeArgs?: readonly string[];
  /** TLS on both legs (absent: plain HTTP to the gateway and to the origin). */
  readonly tls?: GatewayTls;
  /** Extra environment variables (the gateway's secret for `fromIssuer`). */
  readonly env?: Readonly<Record<string, string>>;
  /** The gateway's entry point: this checkout's build unless another's is compared. */
  readonly main?: string;
}

/**
 * The gateway with TLS on both legs: an HTTPS listener requiring a Gatehouse client certificate, the route taking
 * certificate-bound tokens only, an `https://` origin whose SPIFFE ID is pinned, the gateway presenting its own
 * certificate to it. `files`: certificate, key and trust bundle from files (as HAProxy gets them); `issuer`: the
 * gateway's own identity from the issuer's CA (`fromIssuer`), renewed in the process.
 */
export interface GatewayTls {
  readonly source: "files" | "issuer";
  /** The trust bundle (PEM file): of the issuer's HTTPS listener, client certificates and the origin's certificate. */
  readonly trustBundleFile: string;
  /** The gateway's certificate and key (PEM files), for `files`. */
  readonly certFile?: string;
  readonly keyFile?: string;
  /** The gateway's service id and the variable holding its secret, for `issuer`. */
  readonly clientId?: string;
  readonly secretEnv?: string;
  /** The origin's `https://` URL and the SPIFFE ID its certificate must carry. */
  readonly upstream: string;
  readonly upstreamIdentity: string;
  /** How the wiring check reaches the listener: the trust bundle, the caller's certificate, the name to verify. */
  readonly probe: ProbeTls;
}

/** The path every benchmark request asks for, under the route's prefix. */
export const benchPath = "/bench/items";

/**
 * The gateway's config for the benchmark: one route doing the full job (audience, scope, calling
 * service and attribute policy, a per-service Redis rate limit far above what the run can reach).
 */
export function gatewayConfig(options: GatewayOptions): object {
  const tls = options.tls;
  return {
    issuer: options.issuer,
    routes: [
      {
        name: "bench",
        pathPrefix: "/bench",
        methods: ["GET"],
        upstreams: [tls?.upstream ?? `http://127.0.0.1:${options.originPort}`],
        audience: benchIdentity.audience,
        policy: {
          scopes: [benchIdentity.scope],
          services: [benchIdentity.client],
          attributes: { environment: benchIdentity.attributes.environment },
          ...(tls === undefined ? {} : { boundTokens: true }),
        },
        rateLimit: { limit: options.ratePerMinute, windowSeconds: 60 },
        ...(tls === undefined ? {} : { upstreamIdentity: tls.upstreamIdentity }),
      },
    ],
    rateLimiting: { keyPrefix: options.keyPrefix, replicas: options.workers },
    accessLog: options.accessLog,
    events: { enabled: options.events ?? true, stream: `${options.keyPrefix}events` },
    ...(tls === undefined ? {} : gatewayTlsConfig(tls)),
  };
}

/** The `verifier`, `listener`, `proxy` (and `identity`) settings of {@link GatewayTls}. */
function gatewayTlsConfig(tls: GatewayTls): object {
  const bundle = tls.trustBundleFile;
  if (tls.source === "issuer") {
    return {
      verifier: { trustBundleFile: bundle },
      identity: { clientId: tls.clientId, secretEnv: tls.secretEnv },
      listener: { tls: { fromIssuer: true, clientCertificates: "require" } },
      proxy: { tls: { fromIssuer: true } },
    };
  }
  return {
    verifier: { trustBundleFile: bundle },
    listener: { tls: { certFile: tls.certFile, keyFile: tls.keyFile, clientCertificates: "require", trustBundleFile: bundle } },
    proxy: { tls: { trustBundleFile: bundle, certFile: tls.certFile, keyFile: tls.keyFile } },
  };
}

/**
 * Writes the config and starts `node packages/gateway/dist/main.js --config <file>`; waits until
 * `/readyz` on the admin port says ready, then checks that a request with `token` reaches the
 * origin and one without a token is refused.
 */
export async function startGateway(group: ProcessGroup, dir: string, options: GatewayOptions, token: string): Promise<GatewayUnderTest> {
  const configFile = join(dir, `${options.name}.json`);
  await writeFile(configFile, `${JSON.stringify(gatewayConfig(options), null, 2)}\n`);
  const args = [
    ...(options.nodeArgs ?? []),
    options.main ?? gatewayMain,
    "--config",
    configFile,
    "--port",
    String(options.port),
    "--admin-port",
    String(options.adminPort),
    "--host",
    "127.0.0.1",
    "--workers",
    String(options.workers),
  ];
  const started = group.spawn({
    name: options.name,
    command: process.execPath,
    args,
    env: { ...process.env, REDIS_URL: options.redisUrl, NODE_ENV: "production", ...options.env },
  });
  const adminUrl = `http://127.0.0.1:${options.adminPort}`;
  await waitForHttp(`${adminUrl}/readyz`, started);
  const deadline = Date.now() + 20_000;
  while ((await probe(`${adminUrl}/readyz`)) !== 200) {
    if (Date.now() > deadline) throw new Error(`${options.name} never became ready; see ${started.logFile}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const url = `${options.tls === undefined ? "http" : "https"}://127.0.0.1:${options.port}${benchPath}`;
  await expectEnforced(url, token, options.name, options.tls?.probe);
  return { name: options.name, process: started, url, adminUrl, configFile };
}

/**
 * The wiring check before measuring: `token` passes, while no token and a token with a tampered
 * signature are refused with 401, so the figures are those of a proxy that really verifies.
 */
export async function expectEnforced(url: string, token: string, what: string, tls?: ProbeTls): Promise<void> {
  await expectStatus(url, { authorization: `Bearer ${token}` }, 200, what, tls);
  await expectStatus(url, {}, 401, what, tls);
  await expectStatus(url, { authorization: `Bearer ${tamperSignature(token)}` }, 401, what, tls);
}

/** The same JWT with one character in the middle of its signature changed. */
export function tamperSignature(token: string): string {
  const at = token.lastIndexOf(".") + 20;
  const replacement = token[at] === "A" ? "B" : "A";
  return `${token.slice(0, at)}${replacement}${token.slice(at + 1)}`;
}

/** Fails unless `url` answers `status` (a wiring check before measuring). */
export async function expectStatus(url: string, headers: Record<string, string>, status: number, what: string, tls?: ProbeTls): Promise<void> {
  const got = await probe(url, headers, tls);
  if (got !== status) throw new Error(`${what}: expected ${status} from ${url}, got ${got}`);
}
