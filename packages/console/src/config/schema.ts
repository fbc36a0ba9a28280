import { DEFAULT_EVENT_STREAM, listenerSchema } from "@gatehouse/service-kit";
import { z } from "zod";

/** What the console does about an anomaly of one kind. */
export const RESPONSES = ["alert", "disable", "revoke"] as const;
export type ResponseAction = (typeof RESPONSES)[number];

const response = z
  .enum(RESPONSES)
  .default("alert")
  .describe("`alert` (the anomaly event only), `disable` (the auth server's admin API disables the service) or `revoke` (`POST /admin/revocations` for the service); each response is audited.");

const authServerSchema = z
  .strictObject({
    issuer: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe("The auth server's issuer: Gatehouse tokens for the console are verified against it, and its JWKS feeds the signing-key ages. `GATEHOUSE_ISSUER` overrides it."),
    adminUrl: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe("Base URL of the auth server's admin API (its `admin.port` listener) for `GET /admin/keys` and the `disable`/`revoke` responses; default: the issuer, right only with `admin.onPublicPort: true`."),
    keysRefreshSeconds: z.int().min(5).default(60).describe("How often the JWKS is read for the signing-key list."),
  })
  .default({ keysRefreshSeconds: 60 })
  .describe("The auth server the console verifies tokens with and responds through.");

const accessSchema = z
  .strictObject({
    tokenEnv: z.string().min(1).default("GATEHOUSE_ADMIN_TOKEN").describe("Environment variable holding the admin credential (the auth server's admin token)."),
    audience: z
      .string()
      .min(1)
      .optional()
      .describe("The audience (the console's registered resource) a Gatehouse token must carry; without it only the admin credential is accepted."),
    scope: z.string().min(1).default("gatehouse:console").describe("The scope a Gatehouse token must carry to read the console."),
  })
  .default({ tokenEnv: "GATEHOUSE_ADMIN_TOKEN", scope: "gatehouse:console" })
  .describe("Who may read the page and the API: the admin credential, or a Gatehouse token with the scope.");

const burstSchema = (threshold: number, description: string) =>
  z
    .strictObject({
      threshold: z.int().min(2).default(threshold).describe("Events within the window that raise the anomaly."),
      windowSeconds: z.int().min(1).default(60).describe("The sliding window."),
    })
    .default({ threshold, windowSeconds: 60 })
    .describe(description);

const detectionSchema = z
  .strictObject({
    bucketSeconds: z.int().min(1).default(10).describe("Width of the time buckets an edge's rate is measured in."),
    baselineHalfLifeSeconds: z.int().min(10).default(600).describe("Half-life of an edge's baseline rate (exponentially weighted)."),
    spikeFactor: z.number().min(1.5).default(5).describe("A bucket's rate this many times the baseline is a spike."),
    spikeMinRate: z.number().min(0).default(5).describe("Rates (requests/s) below this are never a spike, whatever the baseline."),
    spikeMinBuckets: z.int().min(1).default(6).describe("Buckets an edge needs in its baseline before spikes count."),
    denialBurst: burstSchema(20, "401/403 answers on one edge (or, without a token, from one source)."),
    authFailureBurst: burstSchema(10, "Failed or throttled authentications from one source."),
    cooldownSeconds: z.int().min(0).default(300).describe("The same anomaly (kind and subject) is raised at most once per this."),
  })
  .default({
    bucketSeconds: 10,
    baselineHalfLifeSeconds: 600,
    spikeFactor: 5,
    spikeMinRate: 5,
    spikeMinBuckets: 6,
    denialBurst: { threshold: 20, windowSeconds: 60 },
    authFailureBurst: { threshold: 10, windowSeconds: 60 },
    cooldownSeconds: 300,
  })
  .describe("Detector settings.");

const respondSchema = z
  .strictObject({
    new_edge: response,
    spike: response,
    denial_burst: response,
    auth_failure_burst: response,
  })
  .default({ new_edge: "alert", spike: "alert", denial_burst: "alert", auth_failure_burst: "alert" })
  .describe("The response per anomaly kind.");

const readerSchema = z
  .strictObject({
    batchSize: z.int().min(1).max(10_000).default(1_000).describe("Entries per `XREAD`."),
    blockMs: z.int().min(10).max(10_000).default(1_000).describe("How long one `XREAD BLOCK` waits for new entries."),
    maxEventBytes: z.int().min(256).default(16_384).describe("Entries larger than this are skipped and counted as oversized."),
    history: z.boolean().default(true).describe("Read the stream from its start at launch (rebuilding baselines and the anomaly list) instead of only new entries."),
  })
  .default({ batchSize: 1_000, blockMs: 1_000, maxEventBytes: 16_384, history: true })
  .describe("Reading the event stream.");

/** The whole console config file. */
export const consoleConfigSchema = z.strictObject({
  stream: z.string().min(1).default(DEFAULT_EVENT_STREAM).describe("The Redis stream to read (and to append anomalies to); `REDIS_URL` is the Redis."),
  learningSeconds: z.int().min(0).default(600).describe("The quiet period, from the first event seen, before a new edge counts as an anomaly."),
  listener: listenerSchema,
  authServer: authServerSchema,
  access: accessSchema,
  detection: detectionSchema,
  respond: respondSchema,
  reader: readerSchema,
  recentEvents: z.int().min(10).max(100_000).default(1_000).describe("Recent events kept for the page and `/api/recent`."),
  maxAnomalies: z.int().min(10).max(100_000).default(500).describe("Anomalies kept for the page and `/api/anomalies` (newest first)."),
});

export type ConsoleConfig = z.output<typeof consoleConfigSchema>;
export type ConsoleConfigInput = z.input<typeof consoleConfigSchema>;
/** The anomaly kinds, as in `respond`. */
export type AnomalyKind = keyof ConsoleConfig["respond"];
