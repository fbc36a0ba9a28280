import { registerProcessMetrics } from "@gatehouse/service-kit";
import { Counter, Histogram, Registry } from "prom-client";

/**
 * The auth server's Prometheus metrics, in a registry of its own (several servers can live in one
 * process). Labels are bounded: client and resource come from the registry, error codes from
 * RFC 6749 / this package. Service-kit's process metrics (Node's default metrics, dropped log lines, log buffer) are
 * in it too, prefixed `gatehouse_auth_`.
 */
export class AuthMetrics {
  readonly registry = new Registry();

  constructor() {
    registerProcessMetrics(this.registry, "gatehouse_auth_");
  }

  readonly tokensIssued = new Counter({
    name: "gatehouse_auth_tokens_issued_total",
    help: "Access tokens issued, by client (service id) and resource (audience).",
    labelNames: ["client", "resource"] as const,
    registers: [this.registry],
  });
  readonly certificatesIssued = new Counter({
    name: "gatehouse_auth_certificates_issued_total",
    help: "Service certificates issued by the certificate endpoint, by client (service id).",
    labelNames: ["client"] as const,
    registers: [this.registry],
  });
  readonly tokenFailures = new Counter({
    name: "gatehouse_auth_token_failures_total",
    help: "Token requests refused, by OAuth error code (invalid_client, invalid_scope, invalid_target, temporarily_unavailable, ...).",
    labelNames: ["error"] as const,
    registers: [this.registry],
  });
  readonly tokenLatency = new Histogram({
    name: "gatehouse_auth_token_request_duration_seconds",
    help: "Time to answer a token request, by outcome (issued or refused).",
    labelNames: ["outcome"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  readonly issuanceLimited = new Counter({
    name: "gatehouse_auth_issuance_limited_total",
    help: "Token requests refused by the issuance ceiling (`issuance`), by client (service id).",
    labelNames: ["client"] as const,
    registers: [this.registry],
  });
  readonly adminChanges = new Counter({
    name: "gatehouse_auth_admin_changes_total",
    help: "Registry changes made through the admin API, by action.",
    labelNames: ["action"] as const,
    registers: [this.registry],
  });
}
