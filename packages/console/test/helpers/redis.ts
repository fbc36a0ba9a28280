import { randomUUID } from "node:crypto";

/** A stream name no other test run uses. */
export function uniqueStream(label: string): string {
  return `gatehouse-test:console:${label}:${randomUUID()}`;
}

export { freePort, PrivateRedis, REDIS_URL } from "@gatehouse/service-kit/testing";

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
