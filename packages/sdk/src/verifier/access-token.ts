/**
 * The one check of a Gatehouse access token: its JWS signature with a key of the issuer, and its RFC 9068 claims, the
 * same rules wherever a token is verified (the SDK verifier in services and the gateway, the auth server's admin API
 * and revocation feed). The audience is checked by the caller, which may accept several.
 *
 * @module
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
 * @see https://www.rfc-editor.org/rfc/rfc8725#section-3
 */
import { jwtVerify, type JWTVerifyGetKey, type JWTVerifyOptions } from "jose";
import { GatehouseError } from "../errors.js";
import { REQUIRED_CLAIMS, toTokenError, toVerifiedToken } from "./claims.js";
import type { VerifiedToken } from "./types.js";

/** Tokens longer than this are rejected before any parsing (Gatehouse tokens are well under 2 KB). */
const MAX_TOKEN_LENGTH = 8192;

/** Asymmetric JWS algorithms (RFC 7518 §3, RFC 8037) a verifier may be configured with. */
const ASYMMETRIC_ALGORITHMS: ReadonlySet<string> = new Set(["ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512", "EdDSA", "Ed25519"]);

/** RFC 8725 §3.1–3.2: an explicit allow-list; `none` and MAC algorithms would let a public key forge tokens. */
export function checkAlgorithms(algorithms: readonly string[]): readonly string[] {
  if (algorithms.length === 0) throw new GatehouseError("invalid_options", "algorithms must name at least one algorithm");
  for (const alg of algorithms) {
    if (!ASYMMETRIC_ALGORITHMS.has(alg)) {
      throw new GatehouseError(
        "invalid_options",
        `algorithm ${JSON.stringify(alg)} is not allowed: use asymmetric algorithms only (${[...ASYMMETRIC_ALGORITHMS].join(", ")})`,
      );
    }
  }
  return Object.freeze([...algorithms]);
}

/** What a token is held to besides its signature. */
export interface AccessTokenRules {
  /** The allowed JWS algorithms (checked with {@link checkAlgorithms}). */
  readonly algorithms: readonly string[];
  /** Seconds of clock skew allowed on `exp`, `nbf` and `iat`. */
  readonly clockToleranceSec: number;
  /** Refuse tokens issued longer ago than this (`iat`), whatever their `exp`. */
  readonly maxTokenAgeSec?: number | undefined;
  /** Whether the token's `iss` names the issuer it must come from. */
  readonly issuerMatches: (iss: unknown) => boolean;
}

/**
 * Compiles `rules` into a check that resolves with the token's claims or rejects with `invalid_token` and a
 * description safe to show: `typ` must be `at+jwt`; `iss`, `exp`, `iat`, `jti`, `client_id`, `sub` and `aud` must be
 * present, `sub` must equal `client_id`; `exp` and `nbf` hold with the tolerance, and a token issued in the future is
 * refused in every configuration.
 */
export function accessTokenCheck(rules: AccessTokenRules): (jwt: string, getKey: JWTVerifyGetKey) => Promise<VerifiedToken> {
  const toleranceSec = rules.clockToleranceSec;
  const joseOptions: JWTVerifyOptions = {
    algorithms: [...checkAlgorithms(rules.algorithms)],
    typ: "at+jwt",
    requiredClaims: [...REQUIRED_CLAIMS],
    clockTolerance: toleranceSec,
    ...(rules.maxTokenAgeSec === undefined ? {} : { maxTokenAge: rules.maxTokenAgeSec }),
  };
  return async (jwt, getKey) => {
    if (jwt.length === 0 || jwt.length > MAX_TOKEN_LENGTH) {
      throw new GatehouseError("invalid_token", "the token is empty or too long");
    }
    try {
      const { payload, protectedHeader } = await jwtVerify(jwt, getKey, joseOptions);
      if (!rules.issuerMatches(payload.iss)) throw new GatehouseError("invalid_token", 'the "iss" claim has an unexpected value');
      const token = toVerifiedToken(payload, protectedHeader.kid);
      // jose checks iat only with maxTokenAge; a token issued in the future is refused in every configuration.
      if (token.issuedAt > Date.now() / 1000 + toleranceSec) {
        throw new GatehouseError("invalid_token", "the token was issued in the future (iat)");
      }
      return token;
    } catch (error) {
      throw toTokenError(error);
    }
  };
}
