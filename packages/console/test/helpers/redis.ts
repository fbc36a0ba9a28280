import { randomUUID } from "node:crypto";

/** The shared test Redis (never flushed: every test uses its own stream name). */
export const REDIS_URL = process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379";

/** A stream name no other test run uses. */
export function uniqueStream(label: string): string {
  return `gatehouse-test:console:${label}:${randomUUID()}`;
}

export { freePort, PrivateRedis } from "@gatehouse/service-kit/testing";

/** Resolves when `check` returns a value other than `undefined`, polling; fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 5_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${String(timeoutMs)} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
