/**
 * {@link createKeySetVerifier}: the verifier's token rules against keys the process already holds, for the issuer
 * itself (the auth server's admin API and revocation feed check Gatehouse tokens with its own published keys).
 *
 * @module
 */
import { createLocalJWKSet, type JWK } from "jose";
import { GatehouseError } from "../errors.js";
import { accessTokenCheck } from "./access-token.js";
import { audienceMatches } from "./claims.js";
import { VERIFIER_DEFAULTS } from "./defaults.js";
import type { VerifiedToken } from "./types.js";

/** What {@link createKeySetVerifier} checks tokens against. */
export interface KeySetVerifierOptions {
  /** The issuer's public keys as published now; asked on every call, and a changed set of `kid`s is picked up at once. */
  readonly keys: () => readonly JWK[];
  /** The issuer the tokens must name (`iss`); asked on every call (an issuer learns its URL when it listens). */
  readonly issuer: () => string;
  /** The audience (`aud`) a token must have, or several of which it must have one. */
  readonly audience: string | readonly string[];
  /** Allowed JWS algorithms; default `VERIFIER_DEFAULTS.algorithms`. */
  readonly algorithms?: readonly string[];
  /** Allowed clock skew in seconds; default `VERIFIER_DEFAULTS.clockToleranceSec`. */
  readonly clockToleranceSec?: number;
}

/**
 * Verifies Gatehouse access tokens with keys held in memory, under exactly the rules of `createVerifier` (signature,
 * `typ: at+jwt`, the RFC 9068 claims, `sub` = `client_id`, `exp`/`nbf`/`iat` with the tolerance) plus the audience.
 * It keeps no cache and checks no revocation: it is meant for the issuer's own few, low-rate endpoints. Rejects with
 * a `GatehouseError` `invalid_token` whose description is safe to show.
 */
export function createKeySetVerifier(options: KeySetVerifierOptions): (jwt: string) => Promise<VerifiedToken> {
  const check = accessTokenCheck({
    algorithms: options.algorithms ?? VERIFIER_DEFAULTS.algorithms,
    clockToleranceSec: options.clockToleranceSec ?? VERIFIER_DEFAULTS.clockToleranceSec,
    issuerMatches: (iss) => iss === options.issuer(),
  });
  let kids: string | undefined;
  let keySet: ReturnType<typeof createLocalJWKSet> | undefined;
  const currentKeySet = () => {
    const keys = options.keys();
    const current = keys.map((key) => key.kid ?? "").join(" ");
    if (keySet === undefined || current !== kids) {
      kids = current;
      keySet = createLocalJWKSet({ keys: [...keys] });
    }
    return keySet;
  };
  return async (jwt) => {
    const token = await check(jwt, currentKeySet());
    if (!audienceMatches(token.audience, options.audience)) throw new GatehouseError("invalid_token", "the token is not meant for this audience (aud)");
    return token;
  };
}
