import { createHash, timingSafeEqual } from "node:crypto";
import { createVerifier, isGatehouseError, type Verifier } from "@gatehouse/sdk";
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

const REALM = 'Bearer realm="gatehouse-console"';

/**
 * Checks `Authorization: Bearer …` (RFC 6750 §2.1) on every API call: the admin credential,
 * compared in constant time over SHA-256 digests, or a Gatehouse access token for the console's
 * audience verified by the SDK verifier, which must carry the console scope. No credential or a
 * wrong one → 401 `invalid_token`; a valid token without the scope → 403 `insufficient_scope`;
 * both with a `WWW-Authenticate` challenge (RFC 6750 §3).
 */
export class AccessCheck {
  readonly #want: Buffer | undefined;
  readonly #verifier: Verifier | undefined;
  readonly #scope: string;

  constructor(options: AccessOptions) {
    this.#want = options.credential === undefined ? undefined : createHash("sha256").update(options.credential).digest();
    this.#verifier =
      options.issuer === undefined || options.audience === undefined ? undefined : createVerifier({ issuer: options.issuer, audience: options.audience });
    this.#scope = options.scope;
  }

  async check(authorization: string | undefined): Promise<Reader> {
    const match = /^Bearer ([\x21-\x7E]+)$/i.exec(authorization ?? "");
    if (match === null) throw new ConsoleError("invalid_token", "the console requires a bearer credential", { headers: { "www-authenticate": REALM } });
    const given = match[1] ?? "";
    if (this.#want !== undefined && timingSafeEqual(createHash("sha256").update(given).digest(), this.#want)) return { actor: "admin-credential" };
    const invalid = () => new ConsoleError("invalid_token", "the credential is not valid", { headers: { "www-authenticate": `${REALM}, error="invalid_token"` } });
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
      throw new ConsoleError("insufficient_scope", `the token lacks the ${this.#scope} scope`, {
        headers: { "www-authenticate": `${REALM}, error="insufficient_scope", scope="${this.#scope}"` },
      });
    }
    return { actor: service };
  }

  close(): void {
    this.#verifier?.close();
  }
}
