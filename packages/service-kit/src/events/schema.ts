import { z } from "zod";

/** The Redis stream every component appends its security events to, unless configured otherwise. */
export const DEFAULT_EVENT_STREAM = "gatehouse:events";

/** How much attention an event deserves. */
export const SEVERITIES = ["info", "warning", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * The stable event names, by the component that emits them. Operators filter on these and
 * dashboards depend on them: a name is never reused for another meaning.
 */
export const EVENT_NAMES = {
  /** Auth server: a token request failed client authentication (`invalid_client`). */
  authFailed: "auth.client_auth_failed",
  /** Auth server: a token request refused because its IP or client is over the failure budget (429). */
  authThrottled: "auth.throttled",
  /** Auth server: a token request refused for another reason (`invalid_scope`, `invalid_target`, …). */
  tokenRefused: "auth.token_refused",
  /** Auth server: a service got a token for an audience this process never issued to it before. */
  newAudience: "auth.new_audience",
  /** Auth server: a service certificate was issued (`detail`: spiffeId, serial, notAfter). */
  certificateIssued: "auth.certificate_issued",
  /** Auth server: a revocation was recorded (`detail`: kind jti/service/kid, value, cause, actor). */
  revocation: "admin.revocation",
  /** Auth server: the registry changed through the admin API (`detail.action`: created, updated, disabled, enabled). */
  adminChange: "admin.change",
  /** Auth server: an admin API call was refused (bad or missing credential, missing scope). */
  adminRefused: "admin.refused",
  /** Gateway: a request without a valid token (401). */
  unauthenticated: "gateway.unauthenticated",
  /** Gateway: a request whose token the route's policy refuses (403). */
  forbidden: "gateway.forbidden",
  /** Gateway: a request over its route's rate limit (429). */
  rateLimited: "gateway.rate_limited",
  /** Gateway: the upstream failed or timed out (502/503/504). */
  upstreamFailed: "gateway.upstream_failed",
  /** Gateway: a TLS handshake was refused (no or a foreign client certificate, an old protocol); `source` the peer. */
  tlsRefused: "gateway.tls_refused",
  /** Gateway: per-edge traffic counts of the last interval (`detail`: requests, denied, limited, failed, pressure). */
  traffic: "gateway.traffic",
  /** Console: a caller reached a route it never reached before, after the learning period. */
  newEdge: "anomaly.new_edge",
  /** Console: an edge's request rate far above its baseline. */
  spike: "anomaly.spike",
  /** Console: many 401/403 answers on one edge (or from one source) in a short window. */
  denialBurst: "anomaly.denial_burst",
  /** Console: many failed authentications from one source in a short window. */
  authFailureBurst: "anomaly.auth_failure_burst",
  /** Console: an automatic response to an anomaly (alert, disable, revoke) and its outcome. */
  response: "console.response",
} as const;
export type EventName = (typeof EVENT_NAMES)[keyof typeof EVENT_NAMES];

/** Longest accepted text field; longer values are cut by the publisher and refused by readers. */
export const MAX_FIELD_LENGTH = 256;

const text = z.string().min(1).max(MAX_FIELD_LENGTH);

/**
 * One security event, the same shape from every component. `detail` is a flat-ish JSON object
 * whose fields depend on `event` (documented with each name); it never holds a credential.
 */
export const securityEventSchema = z
  .object({
    time: z.iso.datetime().describe("When it happened (ISO 8601, UTC)."),
    event: text.regex(/^[a-z_]+\.[a-z_]+$/).describe("The stable event name (see EVENT_NAMES)."),
    severity: z.enum(SEVERITIES).describe("info, warning or critical."),
    component: z.enum(["auth-server", "gateway", "console"]).describe("Which kind of process emitted it."),
    instance: text.describe("Which process: host name and pid, unique among replicas."),
    service: text.optional().describe("The calling service (a registry id), when known."),
    route: text.optional().describe("The gateway route, or the audience for the auth server."),
    source: text.optional().describe("The client address, when it matters."),
    detail: z.record(z.string(), z.unknown()).describe("Event-specific figures and evidence."),
  })
  .strict();

export type SecurityEvent = z.infer<typeof securityEventSchema>;
