import { createPrivateKey, createPublicKey, sign, type KeyObject } from "node:crypto";
import { ExternalSigningKey } from "oidc-provider";
import type { PrivateJwk } from "./key-file.js";

/**
 * A signing key for oidc-provider's `ExternalSigningKey` hook (features.externalSigningSupport):
 * ES256 signatures made synchronously with `node:crypto` on a parsed `KeyObject`, instead of
 * WebCrypto's asynchronous job per token. Same key, same JWS (RFC 7515 with the IEEE P1363
 * signature encoding of RFC 7518 §3.4); the JWKS still publishes only the public members.
 */
export class NodeSigningKey extends ExternalSigningKey {
  readonly #privateKey: KeyObject;
  readonly #publicKey: KeyObject;

  constructor(jwk: PrivateJwk) {
    super();
    this.#privateKey = createPrivateKey({ key: { ...jwk }, format: "jwk" });
    this.#publicKey = createPublicKey(this.#privateKey);
    (this as { kid: string | undefined }).kid = jwk.kid;
    (this as { alg: string | undefined }).alg = jwk.alg;
  }

  override keyObject(): KeyObject {
    return this.#publicKey;
  }

  override sign(data: Uint8Array): Uint8Array {
    return sign("sha256", data, { key: this.#privateKey, dsaEncoding: "ieee-p1363" });
  }
}
