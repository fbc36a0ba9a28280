// What the TLS load generator (servers/load.ts) is asked to do and what it reports: shared by the generator and its runner.

/** One load run: fixed concurrency for a warm-up and then a measured period. */
export interface LoadSpec {
  readonly label: string;
  /** `https://127.0.0.1:<port>/<path>`. */
  readonly url: string;
  readonly method: "GET" | "POST";
  readonly headers: Readonly<Record<string, string>>;
  /** Request bodies, cycled through (certificate requests); none for GET. */
  readonly bodiesFile?: string;
  /** Requests in flight at any time (one connection each). */
  readonly connections: number;
  readonly warmupSec: number;
  readonly durationSec: number;
  /** `true`: every request on a new connection with a full TLS handshake (no session resumption). */
  readonly newConnectionPerRequest: boolean;
  /** The status every request must answer; anything else counts as failed. */
  readonly expectStatus: number;
  /** Trust bundle, client certificate and key (PEM files), and the name the server's certificate must carry. */
  readonly tls: { readonly caFile: string; readonly certFile?: string; readonly keyFile?: string; readonly servername?: string };
  /**
   * Instead of fixed files and token: the caller's own SDK identity (`createServiceIdentity`) and a token bound to its
   * current certificate (`createTokenSource` with the identity), both renewed while the load runs.
   */
  readonly identity?: {
    readonly issuer: string;
    readonly clientId: string;
    /** Variable holding the caller's client secret. */
    readonly secretEnv: string;
    readonly resource: string;
    readonly scope: string;
  };
}

/** What one load run measured (the same figures as a wrk run). Latencies in milliseconds. */
export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Answers with another status than `expectStatus`. */
  readonly non2xx: number;
  /** Requests that got no answer (handshake refused, connection reset, timeout). */
  readonly socketErrors: number;
  /** Statuses and error messages of the failed requests, with counts. */
  readonly failures: Readonly<Record<string, number>>;
  /** Certificate renewals seen by an identity load run. */
  readonly rotations: number;
}

/** The prefix of the one line the generator prints its result on. */
export const RESULT_PREFIX = "LOAD_JSON ";
