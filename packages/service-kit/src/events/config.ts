import { z } from "zod";
import { DEFAULT_EVENT_STREAM } from "./schema.js";

/**
 * The `events` section every Gatehouse service shares: where its security events go. Events
 * are appended only when the service has `REDIS_URL`; they are logged either way.
 */
export const eventsConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe("Append security events to the Redis stream (needs `REDIS_URL`)."),
    stream: z.string().min(1).default(DEFAULT_EVENT_STREAM).describe("The Redis stream the events go to; the console reads the same one."),
    maxLength: z.int().min(100).default(100_000).describe("Approximate cap of the stream (`XADD … MAXLEN ~`): older events are trimmed."),
    queueLimit: z.int().min(1).default(10_000).describe("Events held in memory while Redis is slow; beyond it events are dropped and counted."),
  })
  .default({ enabled: true, stream: DEFAULT_EVENT_STREAM, maxLength: 100_000, queueLimit: 10_000 })
  .describe("Security events (see docs/operations.md, \"Security events and the console\").");

export type EventsConfig = z.infer<typeof eventsConfigSchema>;
