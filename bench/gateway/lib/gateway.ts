import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gatewayMain } from "../paths.js";
import { benchIdentity } from "./auth.js";
import { probe, waitForHttp } from "./net.js";
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
}

/** The path every benchmark request asks for, under the route's prefix. */
export const benchPath = "/bench/items";

/**
 * The gateway's config for the benchmark: one route doing the full job (audience, scope, calling
 * service and attribute policy, a per-service Redis rate limit far above what the run can reach).
 */
export function gatewayConfig(options: GatewayOptions): object {
  return {
    issuer: options.issuer,
    routes: [
      {
        name: "bench",
        pathPrefix: "/bench",
        methods: ["GET"],
        upstreams: [`http://127.0.0.1:${options.originPort}`],
        audience: benchIdentity.audience,
        policy: {
          scopes: [benchIdentity.scope],
          services: [benchIdentity.client],
          attributes: { environment: benchIdentity.attributes.environment },
        },
        rateLimit: { limit: options.ratePerMinute, windowSeconds: 60 },
      },
    ],
    rateLimiting: { keyPrefix: options.keyPrefix, replicas: options.workers },
    accessLog: options.accessLog,
    events: { enabled: options.events ?? true, stream: `${options.keyPrefix}events` },
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
    gatewayMain,
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
    env: { ...process.env, REDIS_URL: options.redisUrl, NODE_ENV: "production" },
  });
  const adminUrl = `http://127.0.0.1:${options.adminPort}`;
  await waitForHttp(`${adminUrl}/readyz`, started);
  const deadline = Date.now() + 20_000;
  while ((await probe(`${adminUrl}/readyz`)) !== 200) {
    if (Date.now() > deadline) throw new Error(`${options.name} never became ready; see ${started.logFile}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const url = `http://127.0.0.1:${options.port}${benchPath}`;
  await expectEnforced(url, token, options.name);
  return { name: options.name, process: started, url, adminUrl, configFile };
}

/**
 * The wiring check before measuring: `token` passes, while no token and a token with a tampered
 * signature are refused with 401, so the figures are those of a proxy that really verifies.
 */
export async function expectEnforced(url: string, token: string, what: string): Promise<void> {
  await expectStatus(url, { authorization: `Bearer ${token}` }, 200, what);
  await expectStatus(url, {}, 401, what);
  await expectStatus(url, { authorization: `Bearer ${tamperSignature(token)}` }, 401, what);
}

/** The same JWT with one character in the middle of its signature changed. */
export function tamperSignature(token: string): string {
  const at = token.lastIndexOf(".") + 20;
  const replacement = token[at] === "A" ? "B" : "A";
  return `${token.slice(0, at)}${replacement}${token.slice(at + 1)}`;
}

/** Fails unless `url` answers `status` (a wiring check before measuring). */
export async function expectStatus(url: string, headers: Record<string, string>, status: number, what: string): Promise<void> {
  const got = await probe(url, headers);
  if (got !== status) throw new Error(`${what}: expected ${status} from ${url}, got ${got}`);
}
