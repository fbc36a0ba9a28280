import { describe, expect, it } from "vitest";
import { parseStartFlags, StartFlagError } from "../src/index.js";

describe("parseStartFlags", () => {
  it("lets flags beat environment variables", () => {
    const flags = parseStartFlags(["--config", "gw.yaml", "--port", "8081", "--workers", "2"], { PORT: "9000", WORKERS: "4" }, { adminPort: true });
    expect(flags).toMatchObject({ config: "gw.yaml", port: 8081, workers: 2, adminPort: undefined });
  });

  it("reads PORT, ADMIN_PORT, WORKERS and REDIS_URL when no flag is given", () => {
    const flags = parseStartFlags([], { PORT: "7000", ADMIN_PORT: "7001", WORKERS: "3", REDIS_URL: "redis://127.0.0.1:6379/2" }, { adminPort: true });
    expect(flags).toMatchObject({ port: 7000, adminPort: 7001, workers: 3, redisUrl: "redis://127.0.0.1:6379/2" });
  });

  it("rejects a misspelled flag loudly", () => {
    expect(() => parseStartFlags(["--prot", "1"], {})).toThrow(StartFlagError);
    expect(() => parseStartFlags(["--prot", "1"], {})).toThrow(/Unknown option '--prot'/);
  });

  it("rejects --admin-port on a service without an admin listener", () => {
    expect(() => parseStartFlags(["--admin-port", "9090"], {})).toThrow(/Unknown option '--admin-port'/);
  });

  it("names the variable that holds a bad value", () => {
    expect(() => parseStartFlags([], { PORT: "80a" })).toThrow('PORT must be a port number from 0 to 65535, got "80a"');
    expect(() => parseStartFlags(["--workers", "0"], {})).toThrow('--workers must be a number from 1 to 64 or "auto", got "0"');
    expect(() => parseStartFlags([], { REDIS_URL: "http://x" })).toThrow("REDIS_URL must be a redis:// or rediss:// URL");
  });

  it("turns --workers auto into one worker per core", () => {
    expect(parseStartFlags(["--workers", "auto"], {}).workers).toBeGreaterThanOrEqual(1);
  });
});
