import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateAuthority, readCaFile, rotateAuthorities, writeCaFile } from "../src/ca/ca-file.js";
import { makeCsr } from "./helpers/csr.js";
import { startServer, type Started } from "./helpers/server.js";

const dir = mkdtempSync(join(tmpdir(), "gatehouse-ca-rotation-"));
const SECRET = "rotation-secret-0123456789abcdef";
let started: Started | undefined;

afterAll(async () => {
  await started?.server.close();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

describe("CA rotation", () => {
  it("publishes the new CA before it signs and keeps the old one until its last certificate expired", async () => {
    const file = join(dir, "ca.json");
    const oldAuthority = await generateAuthority("rotation.test", new Date());
    writeCaFile(file, { authorities: [oldAuthority] });
    const oldSubject = new X509Certificate(oldAuthority.certificate).subject;
    started = await startServer(
      {
        trustDomain: "rotation.test",
        keys: { generate: "memory" },
        ca: { file, reloadIntervalSeconds: 1 },
        certificates: { ttlSeconds: 5 },
        services: { batch: { auth: { method: "client_secret_basic", secretEnv: "BATCH_SECRET" } } },
      },
      { env: { BATCH_SECRET: SECRET } },
    );
    const endpoint = `${started.issuer}/certificates`;
    const bundleUri = `${started.issuer}/trust-bundle.pem`;
    const authorization = `Basic ${Buffer.from(`batch:${SECRET}`).toString("base64")}`;
    const issued: X509Certificate[] = [];
    const issue = async () => {
      const { der } = await makeCsr();
      const response = await fetch(endpoint, { method: "POST", headers: { "content-type": "application/pkcs10", authorization }, body: der.toString("base64") });
      expect(response.status).toBe(200);
      const certificate = new X509Certificate(await response.text());
      issued.push(certificate);
      return certificate.issuer;
    };
    // Every certificate not yet expired verifies against the bundle published at that moment.
    const verifyAllLive = async () => {
      const bundle = ((await (await fetch(bundleUri)).text()).match(PEM) ?? []).map((pem) => new X509Certificate(pem));
      const now = Date.now();
      for (const certificate of issued.filter((c) => Date.parse(c.validTo) > now + 500)) {
        expect(bundle.some((ca) => certificate.checkIssued(ca) && certificate.verify(ca.publicKey))).toBe(true);
      }
      return bundle.map((ca) => ca.subject);
    };

    expect(await issue()).toBe(oldSubject);
    // Publish the new CA now, sign with it 2 s later, retire the old one 5 s (the certificate TTL) after that.
    const rotated = await rotateAuthorities(readCaFile(file).authorities, "rotation.test", new Date(), { delaySeconds: 2, retireAfterSeconds: 5 });
    writeCaFile(file, { authorities: rotated });
    const newSubject = new X509Certificate(rotated[0]!.certificate).subject;

    const published = new Set<string>();
    const signers: string[] = [];
    const until = Date.now() + 9000;
    while (Date.now() < until) {
      signers.push(await issue());
      for (const subject of await verifyAllLive()) published.add(subject);
      await sleep(300);
    }
    // The old CA signed until the switch, the new one after it; both were published meanwhile.
    expect(signers[0]).toBe(oldSubject);
    expect(signers.at(-1)).toBe(newSubject);
    const firstNew = signers.indexOf(newSubject);
    expect(signers.slice(firstNew).every((subject) => subject === newSubject)).toBe(true);
    expect(published).toEqual(new Set([oldSubject, newSubject]));
    // After retirement only the new CA is in the bundle.
    expect(await verifyAllLive()).toEqual([newSubject]);
  });
});
