// A `trustBundle` given as a file is followed while the process runs: a rewritten file is trusted from the next
// connection on, and a file that is half-written or gone for a moment leaves the bundle read last in place.
// Real parts: an HTTPS server whose certificates openssl made, connections closed after every response (so each
// request is a new TLS handshake against the bundle), files on disk.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchTrusting } from "../src/identity/trust-bundle.js";

const dir = mkdtempSync(join(tmpdir(), "gatehouse-bundle-file-"));
let server: Server;
let url: string;

/** A self-signed certificate for 127.0.0.1 (it is its own CA): `{ cert, key }` as PEM. */
function selfSigned(name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-subj", `/CN=${name}`, "-days", "1", "-addext", "subjectAltName=IP:127.0.0.1"],
    { stdio: "ignore" },
  );
  return { cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8") };
}

const served = selfSigned("served");
const other = selfSigned("other");

beforeAll(async () => {
  server = createServer({ cert: served.cert, key: served.key }, (_req, res) => {
    res.writeHead(200, { "content-type": "text/plain", connection: "close" }).end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `https://127.0.0.1:${String((server.address() as AddressInfo).port)}/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/** `ok` when the request went through, else the reason it failed. */
async function attempt(send: typeof fetch): Promise<string> {
  try {
    return await (await send(url)).text();
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return cause?.code ?? String(error);
  }
}

describe("fetchTrusting with a trust bundle file", () => {
  it("trusts what the file holds now, and keeps the last whole bundle while the file is broken or missing", async () => {
    const file = join(dir, "bundle.pem");
    writeFileSync(file, other.cert);
    const send = fetchTrusting(file);
    // The file names another CA: the server is not trusted.
    expect(await attempt(send)).toMatch(/CERT|SELF_SIGNED|UNABLE/);

    // Rewritten with the server's CA (a rotation published it): trusted from the next connection on, no restart.
    writeFileSync(file, `${other.cert}${served.cert}`);
    expect(await attempt(send)).toBe("ok");

    // Half-written (twice: cut in the header, cut in the middle of a certificate), then gone: the bundle read last
    // still holds.
    writeFileSync(file, "-----BEGIN CERT");
    expect(await attempt(send)).toBe("ok");
    writeFileSync(file, `${other.cert}${served.cert.slice(0, served.cert.length / 2)}`);
    expect(await attempt(send)).toBe("ok");
    unlinkSync(file);
    expect(await attempt(send)).toBe("ok");

    // Back, without the server's CA (it was retired): no longer trusted.
    writeFileSync(file, other.cert);
    expect(await attempt(send)).toMatch(/CERT|SELF_SIGNED|UNABLE/);
  });

  it("refuses, when it is created, a path that is not a readable PEM file and PEM text with a certificate cut off (invalid_options)", () => {
    expect(() => fetchTrusting(join(dir, "absent.pem"))).toThrow(expect.objectContaining({ code: "invalid_options" }));
    expect(() => fetchTrusting(`${other.cert}${served.cert.slice(0, served.cert.length / 2)}`)).toThrow(expect.objectContaining({ code: "invalid_options" }));
    expect(() => fetchTrusting(other.cert)).not.toThrow();
  });
});
