/**
 * Client authentication at the token endpoint, through oauth4webapi's `PrivateKeyJwt`, `ClientSecretBasic` and
 * `ClientSecretPost`.
 *
 * @module
 */
import { readFile, stat } from "node:fs/promises";
import { importJWK, type CryptoKey, type JWK } from "jose";
import * as oauth from "oauth4webapi";
import { GatehouseError } from "../errors.js";
import { DEFAULT_SERVICE_ACCOUNT_TOKEN_FILE, type ClientAuthentication } from "./authentication.js";

/** RFC 7523 §2.2: the `client_assertion_type` of a JWT client assertion. */
const JWT_BEARER_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/**
 * RFC 7523 client authentication with a token the kubelet writes: the file is re-read (when its
 * modification time changed) for every request, so a rotated token is picked up without a restart.
 */
function serviceAccountAssertion(file: string): oauth.ClientAuth {
  let cached: { readonly mtimeMs: number; readonly token: string } | undefined;
  return async (_as, client, body) => {
    let token: string;
    try {
      const { mtimeMs } = await stat(file);
      if (cached?.mtimeMs !== mtimeMs) cached = { mtimeMs, token: (await readFile(file, "utf8")).trim() };
      token = cached.token;
    } catch (error) {
      throw new GatehouseError("invalid_options", `auth.tokenFile ${file} cannot be read`, { cause: error });
    }
    if (token === "") throw new GatehouseError("invalid_options", `auth.tokenFile ${file} is empty`);
    body.set("client_id", client.client_id);
    body.set("client_assertion_type", JWT_BEARER_ASSERTION);
    body.set("client_assertion", token);
  };
}

/** The JWS algorithm of a private JWK: its `alg`, or the one its key type implies. */
function algorithmOf(jwk: JWK): string {
  if (typeof jwk.alg === "string") return jwk.alg;
  if (jwk.kty === "EC") {
    const byCurve: Partial<Record<string, string>> = { "P-256": "ES256", "P-384": "ES384", "P-521": "ES512" };
    const alg = jwk.crv === undefined ? undefined : byCurve[jwk.crv];
    if (alg !== undefined) return alg;
  }
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519") return "Ed25519";
  if (jwk.kty === "RSA") return "RS256";
  throw new GatehouseError("invalid_options", "auth.privateJwk needs an alg, or an EC P-256/384/521, Ed25519 or RSA key");
}

/**
 * Builds the oauth4webapi client authentication. For `private_key_jwt` the JWK is imported once as a
 * non-extractable private key; the assertion's `aud` is the issuer (oauth4webapi's choice, which the Gatehouse
 * auth server accepts) and its `jti` is fresh for every request.
 */
export async function clientAuthentication(auth: ClientAuthentication): Promise<oauth.ClientAuth> {
  switch (auth.method) {
    case "client_secret_basic":
    case "client_secret_post": {
      if (typeof auth.clientSecret !== "string" || auth.clientSecret === "") {
        throw new GatehouseError("invalid_options", "auth.clientSecret must be a non-empty string");
      }
      return auth.method === "client_secret_basic"
        ? oauth.ClientSecretBasic(auth.clientSecret)
        : oauth.ClientSecretPost(auth.clientSecret);
    }
    case "private_key_jwt": {
      const jwk = auth.privateJwk;
      if (typeof jwk.d !== "string") throw new GatehouseError("invalid_options", "auth.privateJwk must be a private key (with d)");
      let key: CryptoKey | Uint8Array;
      try {
        key = await importJWK(jwk, algorithmOf(jwk), { extractable: false });
      } catch (error) {
        if (error instanceof GatehouseError) throw error;
        const reason = error instanceof Error ? error.message : String(error);
        throw new GatehouseError("invalid_options", `auth.privateJwk cannot be imported: ${reason}`, { cause: error });
      }
      if (key instanceof Uint8Array) throw new GatehouseError("invalid_options", "auth.privateJwk must be an asymmetric key");
      return oauth.PrivateKeyJwt(typeof jwk.kid === "string" ? { key, kid: jwk.kid } : key);
    }
    case "kubernetes_service_account":
      return serviceAccountAssertion(auth.tokenFile ?? DEFAULT_SERVICE_ACCOUNT_TOKEN_FILE);
    default: {
      const method: unknown = (auth as { method: unknown }).method;
      throw new GatehouseError("invalid_options", `auth.method ${JSON.stringify(method)} is not supported`);
    }
  }
}
