import { describe, expect, it } from "vitest";
import { AnomalyDetector, parseConsoleConfig, type Finding, type StreamEvent } from "../src/index.js";
import { entry, traffic } from "./helpers/events.js";

const T0 = Date.parse("2026-01-01T00:00:00Z");
const S = 1000;

function detector(overrides: Record<string, unknown> = {}): AnomalyDetector {
  return new AnomalyDetector(parseConsoleConfig({ learningSeconds: 60, ...overrides }));
}

function run(d: AnomalyDetector, entries: readonly StreamEvent[]): Finding[] {
  return entries.flatMap((e) => d.observe(e));
}

describe("anomaly.new_edge", () => {
  it("learns every edge during the learning period and raises none", () => {
    const findings = run(detector(), [traffic(T0, "orders", "inventory", 5), traffic(T0 + 30 * S, "billing", "orders", 1), traffic(T0 + 59 * S, "orders", "payments", 1)]);
    expect(findings).toEqual([]);
  });

  it("raises a service's first call of a route after learning, naming the event and the routes it used to call", () => {
    const d = detector();
    const late = traffic(T0 + 61 * S, "orders", "payments", 3);
    const findings = run(d, [traffic(T0, "orders", "inventory", 5), traffic(T0 + 10 * S, "orders", "inventory", 5), late, traffic(T0 + 66 * S, "orders", "payments", 3)]);
    expect(findings).toEqual([
      {
        kind: "new_edge",
        subject: "orders → payments",
        severity: "warning",
        service: "orders",
        route: "payments",
        source: undefined,
        summary: "orders called payments for the first time (it used to call inventory)",
        evidence: {
          firstEvent: "gateway.traffic",
          status: "forwarded",
          learningEndedAt: new Date(T0 + 60 * S).toISOString(),
          knownRoutesOfService: ["inventory"],
          eventIds: [late.id],
        },
      },
    ]);
  });

  it("counts a refused attempt (403) on a new route as a new edge too", () => {
    const findings = run(detector(), [
      traffic(T0, "orders", "inventory", 5),
      entry(T0 + 120 * S, { event: "gateway.forbidden", service: "orders", route: "admin", source: "10.0.0.7", detail: { status: 403 } }),
    ]);
    expect(findings.map((f) => [f.kind, f.subject, f.evidence["status"]])).toEqual([["new_edge", "orders → admin", 403]]);
  });

  it("ignores requests without a token (no caller to form an edge)", () => {
    expect(run(detector(), [traffic(T0, "orders", "inventory", 5), traffic(T0 + 120 * S, undefined, "health", 5)])).toEqual([]);
  });
});

describe("anomaly.spike", () => {
  const config = { detection: { bucketSeconds: 10, spikeFactor: 5, spikeMinRate: 5, spikeMinBuckets: 6 } };

  /** `buckets` ten-second buckets of steady traffic: two 5-second summaries each. */
  function steady(buckets: number, perSummary: number): StreamEvent[] {
    return Array.from({ length: buckets * 2 }, (_, i) => traffic(T0 + i * 5 * S, "orders", "inventory", perSummary));
  }

  it("raises when a bucket's rate reaches the factor times the baseline, as soon as it crosses", () => {
    const d = detector(config);
    const history = steady(12, 5); // 1 req/s
    expect(run(d, history)).toEqual([]);
    const burst1 = traffic(T0 + 120 * S, "orders", "inventory", 40);
    const burst2 = traffic(T0 + 121 * S, "orders", "inventory", 40);
    const burst3 = traffic(T0 + 122 * S, "orders", "inventory", 40);
    const findings = run(d, [burst1, burst2, burst3]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      kind: "spike",
      subject: "orders → inventory",
      service: "orders",
      route: "inventory",
      evidence: { ratePerSecond: 8, baselinePerSecond: 1, factor: 5, requestsInBucket: 80, baselineBuckets: 12, eventIds: [burst1.id, burst2.id] },
    });
  });

  it("adds up the summaries of several gateway replicas in one bucket", () => {
    const d = detector(config);
    run(d, steady(12, 5));
    const replicas = [0, 1, 2, 3].map((i) => ({ ...traffic(T0 + 120 * S + i, "orders", "inventory", 15), event: { ...traffic(T0 + 120 * S + i, "orders", "inventory", 15).event, instance: `gw-${String(i)}` } }));
    expect(run(d, replicas).map((f) => f.kind)).toEqual(["spike"]);
  });

  it("stays quiet for steady traffic, for growth below the factor and for rates under spikeMinRate", () => {
    const d = detector(config);
    expect(run(d, steady(30, 5))).toEqual([]);
    expect(run(d, [traffic(T0 + 300 * S, "orders", "inventory", 20)])).toEqual([]); // 2 req/s: 2x
    const quiet = detector(config);
    run(quiet, Array.from({ length: 24 }, (_, i) => traffic(T0 + i * 5 * S, "billing", "orders", 0)));
    expect(run(quiet, [traffic(T0 + 120 * S, "billing", "orders", 40)])).toEqual([]); // 4 req/s < 5
  });

  it("needs spikeMinBuckets of history before it judges an edge", () => {
    const d = detector(config);
    expect(run(d, [...steady(3, 5), traffic(T0 + 30 * S, "orders", "inventory", 500)])).toEqual([]);
  });
});

describe("anomaly.denial_burst", () => {
  const denial = (i: number, service?: string) =>
    entry(T0 + i * S, { event: service === undefined ? "gateway.unauthenticated" : "gateway.forbidden", route: "orders", ...(service === undefined ? {} : { service }), source: "10.1.1.1", detail: { status: service === undefined ? 401 : 403 } });

  it("raises at the threshold within the window, once, with the events as evidence", () => {
    const events = Array.from({ length: 25 }, (_, i) => denial(i, "billing"));
    const findings = run(detector(), events);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      kind: "denial_burst",
      subject: "billing → orders",
      service: "billing",
      route: "orders",
      evidence: { denials: 20, threshold: 20, windowSeconds: 60, lastStatus: 403, sources: ["10.1.1.1"] },
    });
    expect((findings[0]?.evidence["eventIds"] as string[]).at(-1)).toBe(events[19]?.id);
  });

  it("counts requests without a token per source address", () => {
    const findings = run(detector(), Array.from({ length: 20 }, (_, i) => denial(i)));
    expect(findings.map((f) => [f.subject, f.source])).toEqual([["source 10.1.1.1 → orders", "10.1.1.1"]]);
  });

  it("does not raise for denials spread wider than the window", () => {
    expect(run(detector(), Array.from({ length: 40 }, (_, i) => denial(i * 4, "billing")))).toEqual([]);
  });

  it("raises the same burst again only after the cooldown", () => {
    const d = detector({ detection: { cooldownSeconds: 300 } });
    const first = run(d, Array.from({ length: 20 }, (_, i) => denial(i, "billing")));
    const during = run(d, Array.from({ length: 20 }, (_, i) => denial(100 + i, "billing")));
    const after = run(d, Array.from({ length: 20 }, (_, i) => denial(400 + i, "billing")));
    expect([first.length, during.length, after.length]).toEqual([1, 0, 1]);
  });
});

describe("anomaly.auth_failure_burst", () => {
  const failure = (i: number, source: string, client: string) =>
    entry(T0 + i * S, { event: i % 5 === 4 ? "auth.throttled" : "auth.client_auth_failed", severity: "warning", service: client, source, detail: {} });

  it("raises a critical anomaly for failures from one source, naming the clients it claimed", () => {
    const findings = run(detector(), Array.from({ length: 10 }, (_, i) => failure(i, "192.0.2.9", i < 5 ? "orders" : "billing")));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      kind: "auth_failure_burst",
      severity: "critical",
      subject: "source 192.0.2.9",
      source: "192.0.2.9",
      service: undefined,
      evidence: { failures: 10, threshold: 10, claimedClients: ["orders", "billing"] },
    });
  });

  it("keeps sources apart", () => {
    expect(run(detector(), Array.from({ length: 18 }, (_, i) => failure(i, `192.0.2.${String(i % 2)}`, "orders")))).toEqual([]);
  });
});

it("does not feed the console's own anomaly events back into the detectors", () => {
  const d = detector({ learningSeconds: 0 });
  const own = entry(T0, { event: "anomaly.new_edge", component: "console", service: "orders", route: "x", detail: {} });
  expect(run(d, [own, { ...own, event: { ...own.event, event: "gateway.forbidden" } }])).toHaveLength(0);
});
