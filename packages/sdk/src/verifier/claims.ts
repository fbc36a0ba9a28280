/**
 * From a signature-checked JWT payload to a {@link VerifiedToken}: the RFC 9068 §2.2 claims Gatehouse requires,
 * with their types checked; and the mapping of jose's errors to `invalid_token` descriptions.
 *
 * @module
 */
import { errors as joseErrors, type JWTPayload } from "jose";
import { GatehouseError, isGatehouseError } from "../errors.js";
import { ATTRIBUTES_CLAIM, type VerifiedToken } from "./types.js";

/** Claims that must be present (RFC 9068 §2.2 plus `jti`, which Gatehouse always issues). */
export const REQUIRED_CLAIMS = ["iss", "exp", "iat", "jti", "client_id", "sub", "aud"] as const;

function invalid(description: string, cause?: unknown): GatehouseError {
  return new GatehouseError("invalid_token", description, cause === undefined ? {} : { cause });
}

function stringClaim(payload: JWTPayload, name: string): string {
  const value = payload[name];
  if (typeof value !== "string" || value === "") throw invalid(`the "${name}" claim must be a non-empty string`);
  return value;
}

function audienceOf(payload: JWTPayload): readonly string[] {
  const aud = payload.aud;
  if (typeof aud === "string") return Object.freeze([aud]);
  if (Array.isArray(aud) && aud.length > 0 && aud.every((value) => typeof value === "string")) {
    return Object.freeze([...aud]);
  }
  throw invalid('the "aud" claim must be a string or an array of strings');
}

function scopesOf(payload: JWTPayload): readonly string[] {
  const scope = payload["scope"];
  if (scope === undefined) return Object.freeze([]);
  if (typeof scope !== "string") throw invalid('the "scope" claim must be a space-separated string');
  return Object.freeze(scope.split(" ").filter((value) => value !== ""));
}

function attributesOf(payload: JWTPayload): Readonly<Record<string, string>> {
  const value = payload[ATTRIBUTES_CLAIM];
  if (value === undefined) return Object.freeze({});
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid(`the "${ATTRIBUTES_CLAIM}" claim must be an object of strings`);
  }
  const attributes: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== "string") throw invalid(`the "${ATTRIBUTES_CLAIM}" claim must be an object of strings`);
    attributes[key] = entry;
  }
  return Object.freeze(attributes);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const entry of Object.values(value)) deepFreeze(entry);
  }
  return value;
}

/**
 * Checks the types of the claims jose does not (`sub`, `client_id`, `jti`, `scope`, `aud`, the attributes claim) and
 * that `sub` equals `client_id` (a Gatehouse token identifies a service, RFC 9068 §2.2 for client credentials).
 */
export function toVerifiedToken(payload: JWTPayload, keyId?: string): VerifiedToken {
  const service = stringClaim(payload, "sub");
  const clientId = stringClaim(payload, "client_id");
  if (service !== clientId) throw invalid('the "sub" claim must equal the "client_id" claim');
  const jti = stringClaim(payload, "jti");
  // jose has checked that exp and iat are numbers.
  const issuedAt = payload.iat as number;
  const expiresAt = payload.exp as number;
  return Object.freeze({
    service,
    clientId,
    scopes: scopesOf(payload),
    audience: audienceOf(payload),
    attributes: attributesOf(payload),
    jti,
    issuedAt,
    expiresAt,
    ...(keyId === undefined ? {} : { keyId }),
    claims: deepFreeze(payload),
  });
}

/** Whether one of the token's audiences is one of the expected ones. */
export function audienceMatches(audience: readonly string[], expected: string | readonly string[]): boolean {
  if (typeof expected === "string") return audience.includes(expected);
  return expected.some((value) => audience.includes(value));
}

/** Maps an error from jose (or from our own checks) to `invalid_token` with a description safe to show. */
export function toTokenError(error: unknown): GatehouseError {
  if (isGatehouseError(error)) return error;
  if (error instanceof joseErrors.JWTExpired) {
    return error.claim === "iat"
      ? invalid("the token is older than the maximum token age", error)
      : invalid("the token has expired", error);
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === "typ") return invalid('the token\'s "typ" header must be "at+jwt"', error);
    if (error.reason === "missing") return invalid(`the token has no "${error.claim}" claim`, error);
    if (error.claim === "nbf") return invalid("the token is not valid yet (nbf is in the future)", error);
    if (error.claim === "iat") return invalid("the token was issued in the future (iat)", error);
    return invalid(`the "${error.claim}" claim has an unexpected value`, error);
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return invalid("the token's signing algorithm is not allowed", error);
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return invalid("the token's signature is invalid", error);
  if (error instanceof joseErrors.JWKSNoMatchingKey) return invalid("no key of the issuer matches the token's kid", error);
  if (error instanceof joseErrors.JWKSMultipleMatchingKeys) return invalid("several keys match the token; it needs a kid", error);
  if (error instanceof joseErrors.JOSENotSupported) return invalid("the token uses an unsupported algorithm or header", error);
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) {
    return invalid("the token is not a well-formed signed JWT", error);
  }
  return invalid("the token could not be verified", error);
}
