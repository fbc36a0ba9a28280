import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, fixedKeysLine } from "../src/index.js";

function capture(): { stream: Writable; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString("utf8"));
      done();
    },
  });
  return { stream, lines: () => chunks.join("").split("\n").filter((line) => line !== "") };
}

describe("createLogger", () => {
  it("names the process in `name` and leaves `service` to the caller, so no key appears twice", () => {
    const { stream, lines } = capture();
    const logger = createLogger("gateway", {}, stream);
    logger.info({ service: "orders", route: "orders-read" }, "request");
    const [line] = lines();
    expect(line?.match(/"service":/g)).toHaveLength(1);
    expect(JSON.parse(line!)).toMatchObject({ name: "gateway", service: "orders", route: "orders-read", msg: "request" });
  });

  it("redacts credentials by path", () => {
    const { stream, lines } = capture();
    const logger = createLogger("auth-server", {}, stream);
    logger.info({ authorization: "Bearer abc", client_secret: "s3cret", headers: { authorization: "Basic xyz" } }, "token request");
    const text = lines().join("\n");
    expect(text).not.toMatch(/abc|s3cret|xyz/);
    expect(JSON.parse(text)).toMatchObject({ authorization: "[redacted]", client_secret: "[redacted]", headers: { authorization: "[redacted]" } });
  });
});

describe("fixedKeysLine", () => {
  const keys = ["requestId", "method", "path", "status", "latencyMs", "traceparent"] as const;
  type Values = Record<(typeof keys)[number], string | number | undefined>;
  const samples: Values[] = [
    { requestId: "r1", method: "GET", path: "/orders/1", status: 200, latencyMs: 1.25, traceparent: undefined },
    { requestId: "r2", method: "POST", path: '/a"b\\c\n\u0001\u2028é😀', status: 401, latencyMs: 0, traceparent: "00-abc-def-01" },
    { requestId: "x".repeat(300), method: "GET", path: "/", status: 499, latencyMs: Number.NaN, traceparent: "t" },
    { requestId: "r4", method: undefined, path: "\ud800 lone surrogate", status: Number.POSITIVE_INFINITY, latencyMs: -3.5e-7, traceparent: "" },
  ];

  it("writes the very line pino writes for the same values, keys in order and undefined left out", () => {
    const ours = capture();
    const theirs = capture();
    const write = fixedKeysLine(createLogger("gateway", {}, ours.stream), keys, "request");
    const pinoLogger = createLogger("gateway", {}, theirs.stream);
    for (const values of samples) {
      write(values);
      pinoLogger.info(values, "request");
    }
    const withoutTime = (line: string) => line.replace(/"time":\d+/, '"time":0');
    expect(ours.lines()).toHaveLength(samples.length);
    expect(ours.lines().map(withoutTime)).toEqual(theirs.lines().map(withoutTime));
    const first = JSON.parse(ours.lines()[0]!) as Record<string, unknown>;
    expect(Object.keys(first)).toEqual(["level", "time", "pid", "name", "requestId", "method", "path", "status", "latencyMs", "msg"]);
    expect(JSON.parse(ours.lines()[1]!)).toMatchObject({ path: samples[1]!.path, traceparent: "00-abc-def-01" });
  });

  it("writes every number and string as pino does: latencies rounded to the microsecond, other doubles, escapes", () => {
    const ours = capture();
    const theirs = capture();
    const write = fixedKeysLine(createLogger("gateway", {}, ours.stream), keys, "request");
    const pinoLogger = createLogger("gateway", {}, theirs.stream);
    // A fixed-seed generator: the same values on every run.
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    const numbers = [0, -0, 1, -1, 0.5, -0.5, 0.001, 0.0005, 1e-7, 123.45, 999_999_999.999, 1e9 + 0.5, 2 ** 53, 1e21, 5e-324, Number.MAX_VALUE, -Number.MIN_VALUE];
    // Every latency of the first 20 ms to the microsecond, and around the largest assembled from integers.
    for (let thousandths = 0; thousandths <= 20_000; thousandths++) numbers.push(thousandths / 1000);
    for (let thousandths = 2 ** 30 - 50; thousandths <= 2 ** 30 + 50; thousandths++) numbers.push(thousandths / 1000, thousandths / 1000 + 0.0001);
    for (let i = 0; i < 3000; i++) {
      const k = Math.floor(random() * 10_000_000) - 1_000_000;
      numbers.push(k / 1000, Math.round((random() * 500) * 1000) / 1000, random() * 10 ** Math.floor(random() * 12), -random());
    }
    const characters = ['"', "\\", "\n", "\u0000", "\u001f", "\u007f", "é", "\u2028", "😀", "\ud800", "\udfff", "a", "/", "<"];
    const strings = Array.from({ length: 500 }, () => Array.from({ length: Math.floor(random() * 50) }, () => characters[Math.floor(random() * characters.length)]).join(""));
    for (let i = 0; i < numbers.length; i++) {
      const values = { requestId: strings[i % strings.length], method: "GET", path: strings[(i * 7) % strings.length], status: numbers[i], latencyMs: numbers[(i * 13) % numbers.length], traceparent: undefined };
      write(values);
      pinoLogger.info(values, "request");
    }
    const withoutTime = (line: string) => line.replace(/"time":\d+/, '"time":0');
    expect(ours.lines().map(withoutTime)).toEqual(theirs.lines().map(withoutTime));
  });

  it("writes nothing below the logger's level, and refuses keys the logger would redact", () => {
    const { stream, lines } = capture();
    const logger = createLogger("gateway", { level: "warn" }, stream);
    fixedKeysLine(logger, keys, "request")(samples[0]!);
    expect(lines()).toEqual([]);
    logger.level = "info";
    fixedKeysLine(logger, keys, "request")(samples[0]!);
    expect(lines()).toHaveLength(1);
    for (const key of ["authorization", "token", "headers", "req", "client_secret", "password"]) {
      expect(() => fixedKeysLine(createLogger("gateway", {}, stream), ["requestId", key], "request")).toThrow(`fixedKeysLine: ${key} would need redaction`);
    }
  });
});
