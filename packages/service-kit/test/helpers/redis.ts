import { randomUUID } from "node:crypto";

/** The shared test Redis (never flushed: every test uses its own key prefix). */
export const REDIS_URL = process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379";

/** A key prefix no other test run uses. */
export function uniquePrefix(label: string): string {
  return `gatehouse-test:${label}:${randomUUID()}:`;
}

export { PrivateRedis } from "../../src/testing/private-redis.js";
