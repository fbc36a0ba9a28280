import type { Logger } from "pino";
import { parseGatewayConfig } from "../../src/config/load.js";
import type { GatewayConfig } from "../../src/config/schema.js";
import { createGateway, type Gateway } from "../../src/server.js";
import { captureLogs } from "./log-capture.js";
import { REDIS_URL, uniquePrefix } from "./redis.js";

/** Config input as a test writes it: anything the schema accepts. */
export type ConfigInput = Record<string, unknown> & { routes: Record<string, unknown>[] };

/**
 * A real gateway on port 0 (proxy and admin), with Redis rate limits under a fresh key prefix
 * unless `redis: false`, and its log lines captured.
 */
export async function startGateway(input: ConfigInput, options: { redis?: boolean | string; logger?: Logger; env?: NodeJS.ProcessEnv } = {}) {
  // A generous command timeout: a loaded test machine must not trip the failure mode by accident.
  const rateLimiting = {
    keyPrefix: uniquePrefix("gw"),
    redisCommandTimeoutMs: 2_000,
    ...(input["rateLimiting"] as Record<string, unknown> | undefined),
  };
  const config: GatewayConfig = parseGatewayConfig({ issuer: "http://127.0.0.1:9", ...input, rateLimiting }, "test config");
  const capture = captureLogs();
  const redisUrl = options.redis === false ? undefined : typeof options.redis === "string" ? options.redis : REDIS_URL;
  const gateway: Gateway = createGateway(config, {
    logger: options.logger ?? capture.logger,
    ...(redisUrl === undefined ? {} : { redisUrl }),
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  const { port } = await gateway.listen(0);
  const admin = await gateway.listenAdmin(0);
  await gateway.ready(2_000);
  return {
    gateway,
    config,
    port,
    url: `http://127.0.0.1:${String(port)}`,
    adminUrl: `http://127.0.0.1:${String(admin.port)}`,
    logs: capture.lines,
    close: () => gateway.close(),
  };
}

export type RunningGateway = Awaited<ReturnType<typeof startGateway>>;
