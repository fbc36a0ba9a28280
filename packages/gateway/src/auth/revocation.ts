import { readFileSync } from "node:fs";
import { createTokenSource, type RevocationOptions, type TokenSource, type Verifier } from "@gatehouse/sdk";
import { ConfigError, type Logger } from "@gatehouse/service-kit";
import { Counter, Gauge, type Registry } from "prom-client";
import type { GatewayConfig } from "../config/schema.js";

/** The SDK's revocation option built from the gateway config, and the token source it reads the feed with. */
export interface GatewayRevocation {
  readonly options: RevocationOptions;
  readonly tokenSource: TokenSource;
}

/**
 * Revocation enforcement is the SDK verifier's (one implementation): the gateway only turns its
 * `revocation` config into the verifier's option, reading the feed with a token of its own
 * (`revocation.clientId`, secret from `revocation.secretEnv` or `revocation.secretFile`), and logs each feed event with a
 * stable `event` name: `revocation.connected`, `revocation.disconnected`, `revocation.snapshot`,
 * `revocation.revoked`, `revocation.event_rejected`, `revocation.stale`, `revocation.fresh`.
 * A missing secret variable or an unreadable secret file stops the start with its name.
 */
export function gatewayRevocation(config: GatewayConfig, env: NodeJS.ProcessEnv, logger: Logger): GatewayRevocation | undefined {
  const revocation = config.revocation;
  if (revocation === undefined) return undefined;
  const secret = revocationSecret(revocation, env);
  const trustBundle = config.verifier.trustBundleFile;
  const tokenSource = createTokenSource({
    issuer: config.issuer,
    clientId: revocation.clientId,
    auth: { method: "client_secret_basic", clientSecret: secret },
    ...(trustBundle === undefined ? {} : { trustBundle }),
  });
  const options: RevocationOptions = {
    ...(revocation.feed === true ? {} : { feedUrl: revocation.feed }),
    auth: { tokenSource, resource: revocation.resource, scopes: [revocation.scope] },
    maxStaleSeconds: revocation.maxStaleSeconds,
    failureMode: revocation.failureMode,
    onEvent(event) {
      const line = { event: `revocation.${event.type}`, ...event, type: undefined };
      if (event.type === "event_rejected" || event.type === "stale") logger.warn(line, `revocation feed: ${event.type.replace("_", " ")}`);
      else if (event.type === "disconnected") logger.warn(line, "revocation feed disconnected; reconnecting");
      else logger.info(line, `revocation feed: ${event.type}`);
    },
  };
  return { options, tokenSource };
}

function readSecretFile(file: string): string {
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    throw new ConfigError("gateway config", [{ path: "revocation.secretFile", message: `${file} cannot be read` }]);
  }
}

/** The feed client's secret: the variable `secretEnv` names, or the trimmed content of `secretFile`. */
function revocationSecret(revocation: NonNullable<GatewayConfig["revocation"]>, env: NodeJS.ProcessEnv): string {
  if (revocation.secretFile !== undefined) {
    const secret = readSecretFile(revocation.secretFile);
    if (secret === "") throw new ConfigError("gateway config", [{ path: "revocation.secretFile", message: `${revocation.secretFile} is empty` }]);
    return secret;
  }
  const name = revocation.secretEnv ?? "";
  const secret = env[name];
  if (secret === undefined || secret === "") {
    throw new ConfigError("gateway config", [{ path: "revocation.secretEnv", message: `environment variable ${name} is not set` }]);
  }
  return secret;
}

/**
 * `gatehouse_gateway_revocations{state}` (entries held), `gatehouse_gateway_revocation_stale` (1 while
 * the feed is stale), `gatehouse_gateway_revocation_events_total{result}` (applied / rejected) and
 * `gatehouse_gateway_revocation_refused_total{reason}` (jti, service, kid, stale), from the verifier.
 */
export function registerRevocationMetrics(registry: Registry, verifier: Verifier): void {
  const registers = [registry];
  new Gauge({
    name: "gatehouse_gateway_revocation_entries",
    help: "Active revocations held by this process.",
    registers,
    collect() {
      this.set(verifier.revocationStatus()?.entries ?? 0);
    },
  });
  new Gauge({
    name: "gatehouse_gateway_revocation_stale",
    help: "1 while the revocation feed has been away longer than revocation.maxStaleSeconds.",
    registers,
    collect() {
      this.set(verifier.revocationStatus()?.stale === true ? 1 : 0);
    },
  });
  new Counter({
    name: "gatehouse_gateway_revocation_events_total",
    help: "Revocation feed events by result: applied, or rejected (signature or content did not verify).",
    labelNames: ["result"],
    registers,
    collect() {
      const status = verifier.revocationStatus();
      this.reset();
      this.inc({ result: "applied" }, status?.eventsApplied ?? 0);
      this.inc({ result: "rejected" }, status?.eventsRejected ?? 0);
    },
  });
  new Counter({
    name: "gatehouse_gateway_revocation_refused_total",
    help: "Tokens refused by revocation, by reason: jti, service, kid, or stale (closed failure mode).",
    labelNames: ["reason"],
    registers,
    collect() {
      const refused = verifier.revocationStatus()?.refused;
      this.reset();
      for (const reason of ["jti", "service", "kid", "stale"] as const) this.inc({ reason }, refused?.[reason] ?? 0);
    },
  });
}
