import { randomBytes, sign, type KeyObject } from "node:crypto";
import { writeFileSync } from "node:fs";

const ASSERTION_TYPE = encodeURIComponent("urn:ietf:params:oauth:client-assertion-type:jwt-bearer");

/** The form body every scenario sends, without client authentication. */
export function tokenRequestBody(resource: string, scope: string): string {
  return `grant_type=client_credentials&resource=${encodeURIComponent(resource)}&scope=${encodeURIComponent(scope)}`;
}

/**
 * Writes `count` token request bodies, one a line, each with its own RFC 7523 client assertion
 * (fresh `jti`, `aud` = the issuer, `exp` = now + 300 s), so the replay cache accepts every one.
 * Signing happens here, before the measurement, not in the load generator.
 */
export function writeAssertionBodies(file: string, count: number, options: { clientId: string; audience: string; key: KeyObject; kid: string; base: string }): void {
  const header = Buffer.from(JSON.stringify({ alg: "ES256", kid: options.kid })).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const payload = Buffer.from(
      JSON.stringify({ iss: options.clientId, sub: options.clientId, aud: options.audience, jti: randomBytes(16).toString("base64url"), iat: now, exp: now + 300 }),
    ).toString("base64url");
    const input = `${header}.${payload}`;
    const signature = sign("sha256", Buffer.from(input), { key: options.key, dsaEncoding: "ieee-p1363" }).toString("base64url");
    lines.push(`${options.base}&client_assertion_type=${ASSERTION_TYPE}&client_assertion=${input}.${signature}`);
  }
  writeFileSync(file, `${lines.join("\n")}\n`);
}
