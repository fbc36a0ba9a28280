import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from "jose";
import * as oauth from "oauth4webapi";
import { afterAll, describe, expect, it } from "vitest";
import { generateSigningKey, readKeyFile, rotateKeys, writeKeyFile } from "../src/keys/key-file.js";
import { requestToken, startServer, type Started } from "./helpers/server.js";

const dir = mkdtempSync(join(tmpdir(), "gatehouse-rotation-"));
const SECRET = "rotation-secret-0123456789abcdef";
let started: Started | undefined;

afterAll(async () => {
  await started?.server.close();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("signing key rotation", () => {
  it("names each generated key by its RFC 7638 thumbprint, as jose computes it", async () => {
    for (let i = 0; i < 5; i++) {
      const key = generateSigningKey(new Date());
      expect(key.kid).toBe(await calculateJwkThumbprint({ kty: key.kty, crv: key.crv, x: key.x, y: key.y }, "sha256"));
    }
  });

  it("keeps every token verifiable against the published JWKS until it expires, across publish, switch and retire", async () => {
    const file = join(dir, "keys.json");
    const oldKey = generateSigningKey(new Date());
    writeKeyFile(file, { keys: [oldKey] });
    started = await startServer(
      {
        keys: { file, reloadIntervalSeconds: 1 },
        tokens: { ttlSeconds: 3 },
        services: {
          batch: { auth: { method: "client_secret_basic", secretEnv: "BATCH_SECRET" }, allow: { store: ["store:read"] } },
          store: { resource: "https://store.internal", scopes: ["store:read"], auth: { method: "client_secret_basic", secretEnv: "BATCH_SECRET" } },
        },
      },
      { env: { BATCH_SECRET: SECRET } },
    );
    const { as, issuer } = started;
    const issue = async () => {
      const response = await requestToken(as, "batch", oauth.ClientSecretBasic(SECRET), { resource: "https://store.internal", scope: "store:read" });
      return (await oauth.processClientCredentialsResponse(as, { client_id: "batch" }, response)).access_token;
    };
    const published = async () => ((await (await fetch(as.jwks_uri!)).json()) as { keys: JWK[] }).keys;
    const tokens: { token: string; iat: number; exp: number }[] = [];
    const verifyAllLive = async () => {
      const keys = await published();
      const jwks = createLocalJWKSet({ keys });
      const now = Date.now() / 1000;
      for (const t of tokens.filter((t) => t.exp > now + 0.5)) {
        await jwtVerify(t.token, jwks, { issuer, audience: "https://store.internal", typ: "at+jwt", algorithms: ["ES256"] });
      }
      return keys.map((k) => k.kid);
    };
    const take = async () => {
      const token = await issue();
      const { iat, exp } = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as { iat: number; exp: number };
      tokens.push({ token, iat, exp });
      return decodeProtectedHeader(token).kid;
    };

    expect(await take()).toBe(oldKey.kid);
    // Publish the new key now, sign with it 2 s later, retire the old key 3 s (the token TTL) after that.
    const rotated = rotateKeys(readKeyFile(file).keys, new Date(), { delaySeconds: 2, retireAfterSeconds: 3 });
    writeKeyFile(file, { keys: rotated });
    const newKid = rotated[0]!.kid;

    const seenKids = new Set<string>();
    const signers: (string | undefined)[] = [];
    const until = Date.now() + 7500;
    while (Date.now() < until) {
      signers.push(await take());
      for (const kid of await verifyAllLive()) seenKids.add(kid ?? "");
      await sleep(250);
    }
    // The old key signed until the switch, the new one after it; never an unpublished key.
    expect(signers[0]).toBe(oldKey.kid);
    expect(signers.at(-1)).toBe(newKid);
    const firstNew = signers.indexOf(newKid);
    expect(signers.slice(firstNew).every((kid) => kid === newKid)).toBe(true);
    expect(seenKids).toEqual(new Set([oldKey.kid, newKid]));
    // After retirement only the new key is published.
    expect((await published()).map((k) => k.kid)).toEqual([newKid]);
    await verifyAllLive();
  });
});
