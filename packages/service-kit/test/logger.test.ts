import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, fixedKeysLogger } from "../src/index.js";

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

describe("fixedKeysLogger", () => {
  it("writes lines of fixed plain keys without the redaction pass, and refuses keys the parent would redact", () => {
    const { stream, lines } = capture();
    const logger = fixedKeysLogger(createLogger("gateway", {}, stream), ["requestId", "status"]);
    logger.info({ requestId: "r1", status: 200 }, "request");
    expect(JSON.parse(lines()[0]!)).toMatchObject({ name: "gateway", requestId: "r1", status: 200, msg: "request" });
    for (const key of ["authorization", "token", "headers", "req", "client_secret", "password"]) {
      expect(() => fixedKeysLogger(createLogger("gateway", {}, stream), ["requestId", key])).toThrow(`fixedKeysLogger: ${key} would need redaction`);
    }
  });
});
