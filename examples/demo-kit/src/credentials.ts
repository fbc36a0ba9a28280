import { readFileSync } from "node:fs";

/**
 * A demo service's credentials file (`.gatehouse/dev/credentials/<service>.json`, written by
 * `pnpm start`): who the service is, where its auth server is, its own audience, and the private
 * JWK it signs `private_key_jwt` client assertions with.
 */
export interface ServiceCredentials {
  readonly clientId: string;
  readonly issuer: string;
  readonly resource: string;
  readonly privateJwk: Readonly<Record<string, unknown>>;
}

/** Reads and checks a credentials file; the error names the file and the missing field. */
export function readCredentials(file: string): ServiceCredentials {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`${file}: cannot read credentials (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  const record = (value ?? {}) as Record<string, unknown>;
  for (const field of ["clientId", "issuer", "resource"] as const) {
    if (typeof record[field] !== "string") throw new Error(`${file}: ${field} must be a string`);
  }
  const jwk = record["privateJwk"];
  if (jwk === null || typeof jwk !== "object" || typeof (jwk as Record<string, unknown>)["d"] !== "string") {
    throw new Error(`${file}: privateJwk must be a private JWK`);
  }
  return {
    clientId: record["clientId"] as string,
    issuer: record["issuer"] as string,
    resource: record["resource"] as string,
    privateJwk: jwk as Record<string, unknown>,
  };
}
