import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "@gatehouse/service-kit";
import { describe, expect, it } from "vitest";
import { loadGatewayConfig, parseGatewayConfig } from "../../src/config/load.js";
import { createGateway } from "../../src/server.js";
import { captureLogs } from "../helpers/log-capture.js";

const base = {
  issuer: "http://127.0.0.1:9",
  routes: [{ name: "orders", pathPrefix: "/api/orders", upstreams: ["http://127.0.0.1:7001"], audience: "https://orders.internal" }],
};

describe("gateway revocation config", () => {
  it("fills in the defaults of a revocation section", () => {
    const config = parseGatewayConfig({ ...base, revocation: { feed: true, secretEnv: "GATEWAY_CLIENT_SECRET", resource: "https://gatehouse.internal/revocations" } });
    expect(config.revocation).toEqual({
      feed: true,
      secretEnv: "GATEWAY_CLIENT_SECRET",
      resource: "https://gatehouse.internal/revocations",
      maxStaleSeconds: 30,
      failureMode: "open",
      clientId: "gateway",
      scope: "gatehouse:revocations",
    });
  });

  it("refuses an unknown failure mode, naming the file and the path", () => {
    const file = fileURLToPath(new URL("../fixtures/revocation-bad-mode.yaml", import.meta.url));
    expect(() => loadGatewayConfig(file, {})).toThrow(ConfigError);
    try {
      loadGatewayConfig(file, {});
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([{ path: "revocation.failureMode", message: 'Invalid option: expected one of "open"|"closed"' }]);
    }
  });

  it("stops the start naming the variable when the gateway's client secret is not set", () => {
    const config = parseGatewayConfig({ ...base, revocation: { feed: true, secretEnv: "GATEWAY_CLIENT_SECRET", resource: "https://gatehouse.internal/revocations" } });
    expect(() => createGateway(config, { logger: captureLogs().logger, env: {} })).toThrow(
      "gateway config: revocation.secretEnv: environment variable GATEWAY_CLIENT_SECRET is not set",
    );
  });

  it("takes the secret from a file instead (secretFile), and exactly one of secretEnv and secretFile", () => {
    const feed = { feed: true, resource: "https://gatehouse.internal/revocations" };
    expect(parseGatewayConfig({ ...base, revocation: { ...feed, secretFile: "/run/secrets/gateway_secret" } }).revocation).toMatchObject({
      secretFile: "/run/secrets/gateway_secret",
    });
    for (const secret of [{}, { secretEnv: "GATEWAY_CLIENT_SECRET", secretFile: "/run/secrets/gateway_secret" }]) {
      try {
        parseGatewayConfig({ ...base, revocation: { ...feed, ...secret } });
        expect.unreachable();
      } catch (error) {
        expect((error as ConfigError).problems).toEqual([{ path: "revocation", message: "set exactly one of secretEnv, secretFile" }]);
      }
    }
  });

  it("stops the start naming the file when the secret file cannot be read or is empty", () => {
    const dir = mkdtempSync(join(tmpdir(), "gatehouse-revocation-secret-"));
    try {
      const empty = join(dir, "empty.secret");
      writeFileSync(empty, "\n");
      const missing = join(dir, "missing.secret");
      for (const [file, problem] of [[missing, "cannot be read"], [empty, "is empty"]] as const) {
        const config = parseGatewayConfig({ ...base, revocation: { feed: true, secretFile: file, resource: "https://gatehouse.internal/revocations" } });
        expect(() => createGateway(config, { logger: captureLogs().logger, env: {} })).toThrow(`gateway config: revocation.secretFile: ${file} ${problem}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
