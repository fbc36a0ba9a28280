/**
 * Public shapes of the service identity (transport identity: mutual TLS with Gatehouse certificates).
 *
 * @module
 */
import type { ClientAuthentication } from "../client/authentication.js";

/** Options of {@link createServiceIdentity}. */
export interface ServiceIdentityOptions {
  /** The auth server's issuer URL; its metadata names the certificate endpoint and the trust bundle. */
  readonly issuer: string;
  /** This service's id (its `client_id`; its SPIFFE ID ends with it). */
  readonly clientId: string;
  /** How to authenticate the first certificate request (as at the token endpoint); renewals use the current certificate. */
  readonly auth: ClientAuthentication;
  /** PEM text or a PEM file of the CA certificates to trust for an HTTPS issuer the system does not trust (the dev trust bundle). */
  readonly trustBundle?: string;
  /** Timeout of one discovery, certificate or trust bundle request. Default 5 000 ms. */
  readonly timeoutMs?: number;
  /** How often the trust bundle is re-read between renewals, so a CA a rotation publishes is trusted before it signs; keep it below the rotation's `--delay`. Default 60 s. */
  readonly trustBundleRefreshSeconds?: number;
}

/** The TLS options of a service identity, for `https.createServer`, `tls.connect` or undici's `Agent`. */
export interface IdentityTlsOptions {
  /** The private key (PKCS#8 PEM): made in this process, never sent anywhere. */
  readonly key: string;
  /** The certificate chain (PEM): the certificate first. */
  readonly cert: string;
  /** The trust bundle (PEM): the CA certificates peers' certificates must chain to. */
  readonly ca: string;
}

/** A service's Gatehouse identity: a key and a short-lived certificate naming its SPIFFE ID, renewed by itself. */
export interface ServiceIdentity {
  /** Resolves once the first certificate is held; rejects with the first request's `GatehouseError`. */
  ready(): Promise<void>;
  /** `spiffe://<trust domain>/<clientId>`, from the certificate (throws `invalid_options` before `ready()`). */
  readonly spiffeId: string;
  /** The current key, certificate and trust bundle (throws `invalid_options` before `ready()`). */
  tlsOptions(): IdentityTlsOptions;
  /** Called with the new options after every renewal (and trust bundle change); returns an unsubscribe function. */
  onRotate(listener: (options: IdentityTlsOptions) => void): () => void;
  /** A `fetch` whose connections present the current certificate and trust the trust bundle. */
  readonly fetch: typeof fetch;
  /** Stops renewing. */
  close(): void;
}
