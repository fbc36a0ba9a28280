/**
 * The gateway's own counters around a measurement (from its admin `/metrics`), proving what a
 * figure measured: verified-token cache hits vs misses, and whether the rate-limit decisions came
 * from the Redis store or from a fallback.
 */
export interface GatewayCounters {
  readonly cacheHit: number;
  readonly cacheMiss: number;
  /** Rate-limit decisions by `source` label (store, local, open, closed). */
  readonly decisions: Readonly<Record<string, number>>;
  readonly storeErrors: number;
}

function sum(text: string, metric: string, filter: (labels: string) => boolean): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
    const labels = /\{([^}]*)\}/.exec(line)?.[1] ?? "";
    if (!filter(labels)) continue;
    total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

/** Reads the counters from `<adminUrl>/metrics`. */
export async function readCounters(adminUrl: string): Promise<GatewayCounters> {
  const response = await fetch(`${adminUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
  const text = await response.text();
  const decisions: Record<string, number> = {};
  for (const source of ["store", "local", "open", "closed"]) {
    decisions[source] = sum(text, "gatehouse_gateway_ratelimit_decisions_total", (l) => l.includes(`source="${source}"`));
  }
  return {
    cacheHit: sum(text, "gatehouse_gateway_token_cache_total", (l) => l.includes('result="hit"')),
    cacheMiss: sum(text, "gatehouse_gateway_token_cache_total", (l) => l.includes('result="miss"')),
    decisions,
    storeErrors: sum(text, "gatehouse_gateway_ratelimit_store_errors_total", () => true),
  };
}

/** `after - before`, as a short text for the results: cache hit rate and decision sources. */
export function describeDelta(before: GatewayCounters, after: GatewayCounters): string {
  const hits = after.cacheHit - before.cacheHit;
  const misses = after.cacheMiss - before.cacheMiss;
  const lookups = hits + misses;
  const sources = Object.entries(after.decisions)
    .map(([source, n]) => [source, n - (before.decisions[source] ?? 0)] as const)
    .filter(([, n]) => n > 0);
  const decided = sources.reduce((total, [, n]) => total + n, 0);
  const parts = [
    lookups === 0 ? "no token lookups" : `cache hits ${((100 * hits) / lookups).toFixed(1)}%`,
    decided === 0 ? "no limiter decisions" : `limiter: ${sources.map(([source, n]) => `${source} ${((100 * n) / decided).toFixed(1)}%`).join(", ")}`,
  ];
  const errors = after.storeErrors - before.storeErrors;
  if (errors > 0) parts.push(`store errors ${errors}`);
  return parts.join("; ");
}
