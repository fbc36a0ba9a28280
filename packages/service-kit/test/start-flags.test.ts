import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
    expect(() => parseStartFlags([], { REDIS_URL: "http://x" })).toThrow("REDIS_URL must be a redis://, rediss:// or redis+sentinel://host:port,host:port/mastername URL");
  });

  it("reads the interface to listen on from --host or HOST, and rejects what is not one", () => {
    expect(parseStartFlags(["--host", "0.0.0.0"], { HOST: "127.0.0.1" }).host).toBe("0.0.0.0");
    expect(parseStartFlags([], { HOST: "::" }).host).toBe("::");
    expect(parseStartFlags([], {}).host).toBeUndefined();
    expect(() => parseStartFlags([], { HOST: "0.0.0.0:80" })).toThrow('HOST must be an IP address or a host name, got "0.0.0.0:80"');
  });

  it("puts the password from REDIS_PASSWORD_FILE into REDIS_URL, URL-encoded, without the file's newline", () => {
    const dir = mkdtempSync(join(tmpdir(), "service-kit-"));
    try {
      const file = join(dir, "redis_password");
      writeFileSync(file, "s3cr:t/@x\n");
      expect(parseStartFlags([], { REDIS_URL: "redis://redis:6379", REDIS_PASSWORD_FILE: file }).redisUrl).toBe("redis://:s3cr%3At%2F%40x@redis:6379");
      writeFileSync(file, "");
      expect(() => parseStartFlags([], { REDIS_URL: "redis://redis:6379", REDIS_PASSWORD_FILE: file })).toThrow(`REDIS_PASSWORD_FILE: ${file} is empty`);
      expect(() => parseStartFlags([], { REDIS_URL: "redis://redis:6379", REDIS_PASSWORD_FILE: join(dir, "missing") })).toThrow(
        `REDIS_PASSWORD_FILE: cannot read ${join(dir, "missing")} (ENOENT)`,
      );
      expect(() => parseStartFlags([], { REDIS_PASSWORD_FILE: file })).toThrow("REDIS_PASSWORD_FILE is set but REDIS_URL is not");
      expect(() => parseStartFlags([], { REDIS_URL: "redis://:pw@redis:6379", REDIS_PASSWORD_FILE: file })).toThrow(
        "REDIS_URL already holds a password; drop it or REDIS_PASSWORD_FILE",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("turns --workers auto into one worker per core", () => {
    expect(parseStartFlags(["--workers", "auto"], {}).workers).toBeGreaterThanOrEqual(1);
  });
});
