import { Counter, Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { BatchedCounter, RouteHistogram } from "../../src/observability/fast-metrics.js";

// The request-path recorders must expose exactly what prom-client's own metrics would for the same observations.

const BUCKETS = [0.001, 0.01, 0.1, 1];
const observations: [string, number][] = [
  ["orders", 0.0004],
  ["orders", 0.001],
  ["orders", 0.0011],
  ["orders", 0.5],
  ["orders", 7],
  ["payments", 0.02],
  ["", 0.003],
];

describe("request-path metric recorders", () => {
  it("RouteHistogram exposes the same text as a prom-client histogram fed the same values", async () => {
    const fast = new Registry();
    const reference = new Registry();
    const histogram = new RouteHistogram({ name: "x_seconds", help: "h", buckets: BUCKETS, registry: fast });
    const plain = new Histogram({ name: "x_seconds", help: "h", labelNames: ["route"], buckets: BUCKETS, registers: [reference] });
    for (const [route, value] of observations) {
      histogram.series(route).observe(value);
      plain.observe({ route }, value);
    }
    expect(await fast.metrics()).toBe(await reference.metrics());
    histogram.reset();
    expect(await fast.metrics()).toBe("# HELP x_seconds h\n# TYPE x_seconds histogram\n");
  });

  it("BatchedCounter adds what the request path counted at each scrape, and only once", async () => {
    const fast = new Registry();
    const reference = new Registry();
    const counter = new BatchedCounter({ name: "y_total", help: "c", labelNames: ["route", "status"], registry: fast });
    const plain = new Counter({ name: "y_total", help: "c", labelNames: ["route", "status"], registers: [reference] });
    const ok = counter.record({ route: "orders", status: "200" });
    const limited = counter.record({ route: "orders", status: "429" });
    ok.pending += 3;
    limited.pending += 1;
    plain.inc({ route: "orders", status: "200" }, 3);
    plain.inc({ route: "orders", status: "429" }, 1);
    expect(await fast.metrics()).toBe(await reference.metrics());
    ok.pending += 2;
    plain.inc({ route: "orders", status: "200" }, 2);
    expect(await fast.metrics()).toBe(await reference.metrics());
    expect(await fast.metrics()).toBe(await reference.metrics());
  });
});
