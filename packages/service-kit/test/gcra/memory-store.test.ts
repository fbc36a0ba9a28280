import { describe, expect, it } from "vitest";
import { MemoryRateLimitStore } from "../../src/gcra/memory-store.js";
import { describeRateLimitStore } from "./store-conformance.js";

describeRateLimitStore("memory", () => new MemoryRateLimitStore());

describe("memory rate-limit store", () => {
  it("keeps at most maxKeys callers, forgetting the least recently used", () => {
    let now = 1_000_000;
    const store = new MemoryRateLimitStore({ maxKeys: 2, clock: () => now });
    expect(store.takeNow("a", 1, 60_000).allowed).toBe(true);
    expect(store.takeNow("b", 1, 60_000).allowed).toBe(true);
    expect(store.takeNow("c", 1, 60_000).allowed).toBe(true);
    // "a" was evicted, so its quota starts again; "c" is still tracked.
    expect(store.takeNow("a", 1, 60_000).allowed).toBe(true);
    expect(store.takeNow("c", 1, 60_000).allowed).toBe(false);
    now += 60_000;
    expect(store.takeNow("c", 1, 60_000).allowed).toBe(true);
  });
});
