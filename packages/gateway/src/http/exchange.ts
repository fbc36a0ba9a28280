import type { IncomingMessage, ServerResponse } from "node:http";
import type { CompiledPolicy, VerifiedToken, VerifyCallOptions } from "@gatehouse/sdk";
import type { GatewayErrorCode } from "../errors.js";
import type { CompiledRoute } from "../routes/route-table.js";
import type { LimitPolicy, LimitSource } from "../ratelimit/limiter.js";
import type { UpstreamGroup } from "../proxy/upstreams.js";

/** What the composition root attaches to each compiled route. */
export interface RouteTarget {
  /** The audience a token must have; `undefined` on public routes. */
  readonly audience: string | undefined;
  /** `{ audience }` as the verifier takes it, made once per route rather than per request. */
  readonly verifyOptions: VerifyCallOptions;
  readonly policy: CompiledPolicy;
  /** `policy.boundTokens`: only certificate-bound tokens (checked with the connection's certificate by the binding step). */
  readonly boundTokens: boolean;
  /** The route's rate limit with its precomputed `RateLimit-Policy` value. */
  readonly limit: { readonly policy: LimitPolicy; readonly policyField: string } | undefined;
  readonly upstream: UpstreamGroup;
}

/** A route of the gateway's table. */
export type GatewayRoute = CompiledRoute<RouteTarget>;

/**
 * How a request ended, for logs and metrics: `forwarded` (the backend answered), or the code of
 * the gateway's own answer.
 */
export type Decision = "forwarded" | GatewayErrorCode;

/** One request's state as it moves through the pipeline steps. */
export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** `performance.now()` at arrival. */
  readonly startedAt: number;
  requestId: string;
  /** The canonical path (what was matched and what is forwarded). */
  path: string;
  /** The query string as sent, with its `?`, or `""`. */
  query: string;
  route: GatewayRoute | undefined;
  token: VerifiedToken | undefined;
  /** The client's address (the socket peer, or from a trusted proxy's `X-Forwarded-For`). */
  clientAddress: string;
  /** The `X-Forwarded-For` value to send upstream. */
  forwardedFor: string;
  /** Flat `[name, value, …]` headers the gateway adds to whatever response goes out. */
  readonly responseHeaders: string[];
  limitSource: LimitSource | undefined;
  /** Requests left in the caller's rate-limit window after this one, when a limit applied. */
  limitRemaining: number | undefined;
  status: number;
  decision: Decision;
  upstreamMs: number | undefined;
  /** The client sent `Expect: 100-continue` and was answered `100 Continue` (only the proxy step asks for a body). */
  continued: boolean;
}

/** A fresh exchange for an arriving request. */
export function newExchange(req: IncomingMessage, res: ServerResponse): Exchange {
  return {
    req,
    res,
    startedAt: performance.now(),
    requestId: "",
    path: "",
    query: "",
    route: undefined,
    token: undefined,
    clientAddress: "",
    forwardedFor: "",
    responseHeaders: [],
    limitSource: undefined,
    limitRemaining: undefined,
    status: 0,
    decision: "forwarded",
    upstreamMs: undefined,
    continued: false,
  };
}
