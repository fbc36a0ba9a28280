/**
 * How a service proves who it is to the auth server: the shape shared by the token source and the service identity.
 *
 * @module
 */
import type { JWK } from "jose";

/** How the service authenticates to the token endpoint (RFC 6749 §2.3, RFC 7523 §2.2). */
export type ClientAuthentication =
  | {
      /** A JWT assertion signed with the service's private key: no shared secret exists anywhere. */
      readonly method: "private_key_jwt";
      /** The private JWK (EC, RSA or OKP, with `d`); its `kid` goes into the assertion header. */
      readonly privateJwk: JWK;
    }
  | {
      /** The client secret in an HTTP Basic `Authorization` header, or in the form body. */
      readonly method: "client_secret_basic" | "client_secret_post";
      readonly clientSecret: string;
    }
  | {
      /**
       * The pod's projected Kubernetes ServiceAccount token is the client assertion: no secret or key
       * exists in the pod. The file is read for every token request, so a token the kubelet rotated
       * is used from the next request on.
       */
      readonly method: "kubernetes_service_account";
      /** The projected token's path. Default {@link DEFAULT_SERVICE_ACCOUNT_TOKEN_FILE}. */
      readonly tokenFile?: string;
    };

/** Where the Gatehouse manifests project the ServiceAccount token (audience: the issuer). */
export const DEFAULT_SERVICE_ACCOUNT_TOKEN_FILE = "/var/run/secrets/tokens/gatehouse";
