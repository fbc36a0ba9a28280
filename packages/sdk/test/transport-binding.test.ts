// The one binding rule (RFC 8705 §3 plus SPIFFE ID = sub) as a table, against real X.509 certificates made by openssl.
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { certificateThumbprint, checkTransportBinding } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "gatehouse-binding-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function certificate(name: string, san?: string): X509Certificate {
  const out = join(dir, `${name}.pem`);
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", join(dir, `${name}.key`), "-out", out, "-subj", `/CN=${name}`, "-days", "1", ...(san === undefined ? [] : ["-addext", `subjectAltName=${san}`])],
    { stdio: "ignore" },
  );
  return new X509Certificate(readFileSync(out));
}

const orders = certificate("orders", "URI:spiffe://example.test/orders, DNS:orders.internal");
const billing = certificate("billing", "URI:spiffe://example.test/billing");
const plain = certificate("plain");
const bound = { sub: "orders", cnf: { "x5t#S256": certificateThumbprint(orders) } };
const bearer = { sub: "orders" };

describe("checkTransportBinding", () => {
  it("computes the RFC 8705 §3.1 thumbprint: base64url SHA-256 of the DER", () => {
    const expected = Buffer.from(execFileSync("openssl", ["x509", "-in", join(dir, "orders.pem"), "-outform", "DER"])).toString("base64");
    const digest = execFileSync("sh", ["-c", `echo ${expected} | base64 -d | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '='`], { encoding: "utf8" }).trim();
    expect(certificateThumbprint(orders)).toBe(digest);
  });

  it.each([
    ["a bound token with its certificate", bound, orders, false, { ok: true, bound: true }],
    ["a bearer token without a certificate", bearer, undefined, false, { ok: true, bound: false }],
    ["a bearer token with its service's certificate", bearer, orders, false, { ok: true, bound: false }],
    ["a bearer token with a certificate without a SPIFFE ID", bearer, plain, false, { ok: true, bound: false }],
  ] as const)("accepts %s", (_name, claims, cert, requireBound, expected) => {
    expect(checkTransportBinding(claims, cert, requireBound)).toEqual(expected);
  });

  it.each([
    ["a bound token without a certificate", bound, undefined, false, /certificate-bound; present its client certificate/],
    ["a bound token with another certificate", bound, billing, false, /bound to another client certificate/],
    ["a bearer token with another service's certificate", bearer, billing, false, /spiffe:\/\/example\.test\/billing.*not the token's service's/],
    ["a bearer token where bound tokens are required", bearer, orders, true, /certificate-bound tokens only/],
    ["a cnf claim without x5t#S256", { sub: "orders", cnf: { jkt: "x" } }, orders, false, /no x5t#S256/],
    ["a cnf claim that is not an object", { sub: "orders", cnf: "x" }, orders, false, /no x5t#S256/],
  ] as const)("refuses %s", (_name, claims, cert, requireBound, description) => {
    const result = checkTransportBinding(claims, cert, requireBound);
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.description).toMatch(description);
  });
});
