import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, run } from "./helpers/cli.js";

const anyString = expect.any(String) as string;
const dir = mkdtempSync(join(tmpdir(), "gatehouse-cli-"));
const fixture = (name: string) => fileURLToPath(new URL(`fixtures/config/${name}`, import.meta.url));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface KeyFileJson {
  keys: { kid: string; d: string; signFrom?: string; retireAt?: string; createdAt: string }[];
}

describe("gatehouse-auth keys", () => {
  it("generates a private JWKS with one ES256 key and refuses to overwrite it", async () => {
    const file = join(dir, "generate", "keys.json");
    const first = await run(CLI, ["keys", "generate", "--file", file]);
    expect(first.code).toBe(0);
    const written = JSON.parse(readFileSync(file, "utf8")) as KeyFileJson;
    expect(JSON.parse(first.stdout)).toEqual({ file, kid: written.keys[0]!.kid });
    expect(written.keys).toEqual([
      { kty: "EC", crv: "P-256", x: anyString, y: anyString, d: anyString, kid: anyString, alg: "ES256", use: "sig", createdAt: anyString },
    ]);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const again = await run(CLI, ["keys", "generate", "--file", file]);
    expect(again.code).toBe(64);
    expect(again.stderr.split("\n")[0]).toBe(`gatehouse-auth: ${file} exists; use keys rotate, or --force to replace every key`);
  });

  it("rotates: the new key is published first, signs after the delay, the old key retires after the longest TTL", async () => {
    const file = join(dir, "rotate.json");
    await run(CLI, ["keys", "generate", "--file", file]);
    const oldKid = (JSON.parse(readFileSync(file, "utf8")) as KeyFileJson).keys[0]!.kid;
    const before = Date.now();
    const rotated = await run(CLI, ["keys", "rotate", "--file", file, "--delay", "30", "--retire-after", "400"]);
    expect(rotated.code).toBe(0);
    const keys = (JSON.parse(readFileSync(file, "utf8")) as KeyFileJson).keys;
    expect(keys).toHaveLength(2);
    const [fresh, old] = keys as [KeyFileJson["keys"][number], KeyFileJson["keys"][number]];
    expect(old.kid).toBe(oldKid);
    const signFrom = Date.parse(fresh.signFrom!);
    expect(signFrom - before).toBeGreaterThanOrEqual(29_000);
    expect(signFrom - before).toBeLessThanOrEqual(31_000 + (Date.now() - before));
    expect(Date.parse(old.retireAt!) - signFrom).toBe(400_000);
    expect(fresh.retireAt).toBeUndefined();
    expect(JSON.parse(rotated.stdout)).toEqual({
      file,
      signing: oldKid,
      keys: [
        { kid: fresh.kid, signFrom: fresh.signFrom },
        { kid: oldKid, retireAt: old.retireAt },
      ],
    });
  });

  it("takes the key file and the retirement delay from --config: the longest token lifetime plus tolerance", async () => {
    const file = join(dir, "from-config.json");
    await run(CLI, ["keys", "generate", "--file", file]);
    const config = join(dir, "rotate-config.yaml");
    writeFileSync(
      config,
      `keys: { file: ${file} }\ntokens: { ttlSeconds: 300, clockToleranceSeconds: 5 }\nservices:\n  slow:\n    resource: https://slow.internal\n    tokenTtlSeconds: 900\n    auth: { method: client_secret_basic, secretEnv: X }\n`,
    );
    const result = await run(CLI, ["keys", "rotate", "--config", config, "--delay", "10"]);
    expect(result.code).toBe(0);
    const [fresh, old] = (JSON.parse(readFileSync(file, "utf8")) as KeyFileJson).keys as [KeyFileJson["keys"][number], KeyFileJson["keys"][number]];
    expect(Date.parse(old.retireAt!) - Date.parse(fresh.signFrom!)).toBe(905_000);
  });

  it("drops keys whose retirement has passed when rotating again", async () => {
    const file = join(dir, "prune.json");
    await run(CLI, ["keys", "generate", "--file", file]);
    await run(CLI, ["keys", "rotate", "--file", file, "--delay", "0", "--retire-after", "0"]);
    const third = await run(CLI, ["keys", "rotate", "--file", file, "--delay", "0", "--retire-after", "0"]);
    expect(third.code).toBe(0);
    expect((JSON.parse(readFileSync(file, "utf8")) as KeyFileJson).keys).toHaveLength(2);
  });

  it("names a key file that is not a private JWKS", async () => {
    const file = join(dir, "public-only.json");
    writeFileSync(file, JSON.stringify({ keys: [{ kty: "EC", crv: "P-256", x: "a", y: "b", kid: "k" }] }));
    const result = await run(CLI, ["keys", "rotate", "--file", file]);
    expect(result.code).toBe(78);
    expect(result.stderr).toBe(`gatehouse-auth: ${file}: keys.0.d: Invalid input: expected string, received undefined\n`);
  });
});

describe("gatehouse-auth service keygen", () => {
  it("writes the service's key pair and prints the public JWKS to register", async () => {
    const out = join(dir, "service");
    const result = await run(CLI, ["service", "keygen", "orders", "--out", out]);
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as { keys: Record<string, string>[] };
    expect(printed).toEqual({
      keys: [{ kty: "EC", crv: "P-256", x: anyString, y: anyString, kid: (expect.stringMatching(/^orders-/) as string), alg: "ES256", use: "sig" }],
    });
    expect(JSON.parse(readFileSync(join(out, "orders.jwks.json"), "utf8"))).toEqual(printed);
    const privateJwk = JSON.parse(readFileSync(join(out, "orders.private.jwk.json"), "utf8")) as Record<string, string>;
    expect(privateJwk).toEqual({ ...printed.keys[0], d: anyString });
    expect(statSync(join(out, "orders.private.jwk.json")).mode & 0o777).toBe(0o600);
    expect(result.stderr).toContain("orders.private.jwk.json (private: keep it with the service)");
  });

  it("rejects a service id that is no DNS label", async () => {
    const result = await run(CLI, ["service", "keygen", "Orders_1", "--out", dir]);
    expect(result.code).toBe(64);
    expect(result.stderr.split("\n")[0]).toBe('gatehouse-auth: service id "Orders_1" must be a DNS label (a-z, 0-9, -)');
  });
});

describe("gatehouse-auth config check", () => {
  it("accepts a valid config whose secrets and files exist", async () => {
    const result = await run(CLI, ["config", "check", fixture("valid.yaml")], { INVENTORY_CLIENT_SECRET: "s3cret-value" });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ ok: true, file: fixture("valid.yaml"), services: 2, disabled: [], keys: "generated in memory at start" });
  });

  it("fails naming the unset secret variable", async () => {
    const result = await run(CLI, ["config", "check", fixture("valid.yaml")]);
    expect(result.code).toBe(78);
    expect(result.stderr).toBe('gatehouse-auth: service "inventory": environment variable INVENTORY_CLIENT_SECRET (its client secret) is not set\n');
  });

  it("fails naming the file and dotted path of a schema violation", async () => {
    const result = await run(CLI, ["config", "check", fixture("allow-unknown-service.yaml")]);
    expect(result.code).toBe(78);
    expect(result.stderr).toBe(`gatehouse-auth: ${fixture("allow-unknown-service.yaml")}: services.orders.allow.payments: unknown service "payments"\n`);
  });
});

describe("gatehouse-auth usage", () => {
  it("answers an unknown command with exit code 64 and the usage", async () => {
    const result = await run(CLI, ["frobnicate"]);
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(/^gatehouse-auth: unknown command: frobnicate\n\nusage: gatehouse-auth <command>/);
  });

  it("rejects a misspelled option", async () => {
    const result = await run(CLI, ["keys", "rotate", "--fiel", "x"]);
    expect(result.code).toBe(64);
    expect(result.stderr.split("\n")[0]).toMatch(/^gatehouse-auth: Unknown option '--fiel'/);
  });
});
