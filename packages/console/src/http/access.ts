import { createVerifier, isGatehouseError, readBearerToken, staticCredentialMatcher, wwwAuthenticate, type Verifier } from "@gatehouse/sdk";
import { ConsoleError } from "../errors.js";

/** Who is reading the console. */
export interface Reader {
  /** `admin-credential`, or the service a Gatehouse token names. */
  readonly actor: string;
}

export interface AccessOptions {
  /** The admin credential (the auth server's admin token); absent → only tokens are accepted. */
  readonly credential: string | undefined;
  /** With `audience`, Gatehouse tokens are accepted (verified against this issuer). */
  readonly issuer: string | undefined;
  readonly audience: string | undefined;
  readonly scope: string;
}

const REALM = "gatehouse-console";

/**
 * Checks `Authorization: Bearer …` (RFC 6750 §2.1, read by the SDK's `readBearerToken` like every
 * other Gatehouse service) on every API call: the admin credential, compared in constant time by the
 * SDK's `staticCredentialMatcher` (the same comparison as the auth server's admin API), or a Gatehouse access token for the console's audience verified by the SDK
 * verifier, which must carry the console scope. No credential or a wrong one → 401
 * `invalid_token`; a malformed or repeated header or a token in the query → 400
 * `invalid_request`; a valid token without the scope → 403 `insufficient_scope`; each with the
 * SDK's `WWW-Authenticate` challenge (RFC 6750 §3).
 */
export class AccessCheck {
  readonly #matches: ((presented: string) => boolean) | undefined;
  readonly #verifier: Verifier | undefined;
  readonly #scope: string;

  constructor(options: AccessOptions) {
    this.#matches = options.credential === undefined ? undefined : staticCredentialMatcher(options.credential);
    this.#verifier =
      options.issuer === undefined || options.audience === undefined ? undefined : createVerifier({ issuer: options.issuer, audience: options.audience });
    this.#scope = options.scope;
  }

  /** Checks a request's credential; `rawHeaders` and `query` as node:http has them. */
  async check(rawHeaders: readonly string[], query: string): Promise<Reader> {
    const given = readBearerToken(rawHeaders, query);
    if (typeof given !== "string") {
      if (given.problem === "missing") {
        throw new ConsoleError("invalid_token", given.description, { headers: { "www-authenticate": wwwAuthenticate(undefined, { realm: REALM }) } });
      }
      throw new ConsoleError("invalid_request", given.description, { headers: { "www-authenticate": wwwAuthenticate(given, { realm: REALM }) } });
    }
    if (this.#matches?.(given) === true) return { actor: "admin-credential" };
    const invalid = () => {
      const description = "the credential is not valid";
      return new ConsoleError("invalid_token", description, { headers: { "www-authenticate": wwwAuthenticate({ code: "invalid_token", description }, { realm: REALM }) } });
    };
    if (this.#verifier === undefined || given.split(".").length !== 3) throw invalid();
    let service: string;
    let scopes: readonly string[];
    try {
      ({ service, scopes } = await this.#verifier.verify(given));
    } catch (error) {
      if (isGatehouseError(error) && error.code !== "invalid_token") {
        throw new ConsoleError("verification_unavailable", "tokens cannot be verified right now", { cause: error, headers: { "retry-after": "5" } });
      }
      throw invalid();
    }
    if (!scopes.includes(this.#scope)) {
      const description = `the token lacks the ${this.#scope} scope`;
      throw new ConsoleError("insufficient_scope", description, {
        headers: { "www-authenticate": wwwAuthenticate({ code: "insufficient_scope", description }, { realm: REALM, scope: this.#scope }) },
      });
    }
    return { actor: service };
  }

  close(): void {
    this.#verifier?.close();
  }
}
