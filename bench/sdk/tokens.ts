// The fixed origin of the SDK benchmark: one ES256 signing key, its JWKS served by node:http on 127.0.0.1:0, and
// RFC 9068 access tokens minted with node:crypto exactly as the Gatehouse auth server shapes them.
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export const AUDIENCE = "https://inventory.internal";

export interface Issuer {
  readonly issuer: string;
  readonly jwksUri: string;
  /** Mints `count` distinct tokens (distinct `jti`), valid for ten minutes. */
  mint(count: number): string[];
  close(): Promise<void>;
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

function mintOne(privateKey: KeyObject, issuer: string): string {
  const now = Math.floor(Date.now() / 1000);
  const header = base64url({ alg: "ES256", typ: "at+jwt", kid: "bench-1" });
  const payload = base64url({
    iss: issuer,
    sub: "orders",
    client_id: "orders",
    aud: AUDIENCE,
    scope: "inventory:read inventory:reserve",
    iat: now,
    exp: now + 600,
    jti: randomUUID(),
    "urn:gatehouse:attributes": { team: "checkout", environment: "prod" },
  });
  const signature = sign("sha256", Buffer.from(`${header}.${payload}`), { key: privateKey, dsaEncoding: "ieee-p1363" });
  return `${header}.${payload}.${signature.toString("base64url")}`;
}

export async function startIssuer(): Promise<Issuer> {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwks = JSON.stringify({ keys: [{ ...publicKey.export({ format: "jwk" }), kid: "bench-1", alg: "ES256", use: "sig" }] });
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" }).end(jwks);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    mint(count) {
      return Array.from({ length: count }, () => mintOne(privateKey, issuer));
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
