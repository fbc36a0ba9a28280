/**
 * {@link createServiceIdentity}: the SDK does the PKI work of a service. It makes the key in the process, asks the
 * Gatehouse CA for a certificate naming the service's SPIFFE ID, renews it at half its lifetime with the current
 * certificate over mutual TLS, and hands the key, certificate and trust bundle to servers and clients.
 *
 * @module
 */
import { X509Certificate } from "node:crypto";
import { rootCertificates } from "node:tls";
import type * as oauth from "oauth4webapi";
import { clientAuthentication } from "../client/client-auth.js";
import { discover, parseUrl } from "../discovery.js";
import { GatehouseError } from "../errors.js";
import { requestCertificate } from "./certificate-request.js";
import { makeKeyAndCsr } from "./key-and-csr.js";
import { spiffeIdOf } from "./spiffe.js";
import { tlsFetch } from "./tls-fetch.js";
import { holdsWholeCertificates } from "./pem.js";
import { readTrustBundle } from "./trust-bundle.js";
import type { IdentityTlsOptions, ServiceIdentity, ServiceIdentityOptions } from "./types.js";

/** Shortest wait before retrying a failed renewal. */
const RETRY_MIN_MS = 1000;
/** Default interval of trust bundle re-reads between renewals (below `gatehouse-auth ca rotate`'s default delay). */
const BUNDLE_REFRESH_SECONDS = 60;

/**
 * Creates the identity of service `clientId` at the Gatehouse auth server `issuer`. Nothing happens until
 * {@link ServiceIdentity.ready}: discovery (`gatehouse_certificate_endpoint`, `gatehouse_trust_bundle_uri`), a
 * P-256 key made here, a CSR authenticated with `auth`, the trust bundle. The certificate is renewed at half its
 * lifetime with a new key, authenticated by the current certificate (over mutual TLS on an `https://` issuer, else
 * with `auth`); a failed renewal is retried with backoff until the certificate expires, then with `auth`. Listeners
 * of {@link ServiceIdentity.onRotate} get every new certificate (servers swap it in with `setSecureContext`).
 * Between renewals the trust bundle is re-read every `trustBundleRefreshSeconds`, so a CA published by a rotation is
 * trusted before any certificate carries it, whatever the certificate lifetime; a changed bundle is a rotation too.
 *
 * It does not pin the issuer's own certificate beyond `trustBundle` / the system CAs, and it never writes the key
 * anywhere.
 */
export function createServiceIdentity(options: ServiceIdentityOptions): ServiceIdentity {
  const issuer = parseUrl(options.issuer, "issuer");
  if (typeof options.clientId !== "string" || options.clientId === "") throw new GatehouseError("invalid_options", "clientId must be a non-empty string");
  const timeoutMs = options.timeoutMs ?? 5000;
  const refreshSeconds = options.trustBundleRefreshSeconds ?? BUNDLE_REFRESH_SECONDS;
  if (!Number.isFinite(refreshSeconds) || refreshSeconds <= 0) throw new GatehouseError("invalid_options", "trustBundleRefreshSeconds must be a positive number");
  const anchors = options.trustBundle === undefined ? undefined : readTrustBundle(options.trustBundle);
  // Without a client certificate: the first certificate, and renewals with `auth` once the current one has expired.
  // Replaced after every certificate by one that trusts the bundle fetched last (the issuer's own certificate moves
  // to a new CA after a rotation).
  let issuerFetch = tlsFetch(anchors === undefined ? {} : { ca: anchors });
  const client: oauth.Client = { client_id: options.clientId };
  const listeners = new Set<(tls: IdentityTlsOptions) => void>();
  let current: { tls: IdentityTlsOptions; spiffeId: string; notAfter: number; fetch: ReturnType<typeof tlsFetch> } | undefined;
  let metadata: oauth.AuthorizationServer | undefined;
  let timer: NodeJS.Timeout | undefined;
  let bundleTimer: NodeJS.Timeout | undefined;
  let closed = false;
  const isClosed = () => closed;
  let starting: Promise<void> | undefined;

  const endpoints = (as: oauth.AuthorizationServer) => {
    const certificates = (as as Record<string, unknown>)["gatehouse_certificate_endpoint"];
    const bundle = (as as Record<string, unknown>)["gatehouse_trust_bundle_uri"];
    if (typeof certificates !== "string" || typeof bundle !== "string") {
      throw new GatehouseError("discovery_failed", `${issuer.href} names no gatehouse_certificate_endpoint or gatehouse_trust_bundle_uri: is it a Gatehouse auth server with its CA?`);
    }
    return { certificates, bundle };
  };

  const fetchBundle = async (send: typeof fetch, uri: string): Promise<string> => {
    const response = await send(uri, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    if (response.status !== 200 || !holdsWholeCertificates(text)) {
      throw new GatehouseError("invalid_response", `the trust bundle at ${uri} answered HTTP ${response.status} without whole PEM certificates`, { responseStatus: response.status });
    }
    return text;
  };

  /** Gets a certificate for a new key: by the current certificate when `renew` (and the issuer is https), else by `auth`. */
  const obtain = async (renew: boolean): Promise<void> => {
    metadata ??= await discover(issuer, timeoutMs, issuerFetch.fetch);
    const { certificates, bundle } = endpoints(metadata);
    const { keyPem, csrDer } = await makeKeyAndCsr(options.clientId);
    // An expired certificate cannot authenticate: then `auth` is used again.
    const renewing = renew && issuer.protocol === "https:" && current !== undefined && current.notAfter > Date.now() ? current : undefined;
    const chain = renewing !== undefined
      ? await requestCertificate(certificates, csrDer, { kind: "certificate" }, renewing.fetch.fetch, timeoutMs)
      : await requestCertificate(certificates, csrDer, { kind: "client", metadata, client, auth: await clientAuthentication(options.auth) }, issuerFetch.fetch, timeoutMs);
    const leaf = new X509Certificate(chain);
    const spiffeId = spiffeIdOf(leaf);
    if (spiffeId?.endsWith(`/${options.clientId}`) !== true) {
      throw new GatehouseError("invalid_response", `the certificate endpoint issued a certificate for ${spiffeId ?? "no SPIFFE ID"}, not for ${options.clientId}`);
    }
    // The issuer's own certificate may come from a CA published after `trustBundle` was read: a renewal fetches the
    // bundle over the current connection, which trusts the bundle fetched last.
    const ca = await fetchBundle((renewing?.fetch ?? issuerFetch).fetch, bundle);
    adopt({ key: keyPem, cert: chain, ca }, spiffeId, Date.parse(leaf.validTo));
    // Half of the lifetime left from now (`notBefore` is backdated for slow clocks, so it is not the start).
    schedule(Math.max(RETRY_MIN_MS, ((current?.notAfter ?? 0) - Date.now()) / 2), 0);
    if (renew) notify();
  };

  /** Holds `tls` and rebuilds both fetchers around it: the Gatehouse bundle plus what the issuer is trusted by. */
  const adopt = (tls: IdentityTlsOptions, spiffeId: string, notAfter: number) => {
    const previous = current;
    const trusted = [tls.ca, ...(anchors === undefined ? rootCertificates : [anchors])].join("\n");
    current = { tls, spiffeId, notAfter, fetch: tlsFetch({ ...tls, ca: trusted }) };
    void previous?.fetch.close();
    const previousIssuerFetch = issuerFetch;
    issuerFetch = tlsFetch({ ca: trusted });
    void previousIssuerFetch.close();
  };

  const notify = () => {
    const tls = current?.tls;
    if (tls !== undefined) for (const listener of listeners) listener(tls);
  };

  /** Re-reads the trust bundle over the current connection; a changed bundle is handed to the listeners. */
  const refreshBundle = async (): Promise<void> => {
    const held = current;
    if (held === undefined || metadata === undefined || closed) return;
    const ca = await fetchBundle(held.fetch.fetch, endpoints(metadata).bundle);
    // A renewal or close() may have come while the bundle was on its way.
    if (ca === held.tls.ca || current !== held || isClosed()) return;
    adopt({ ...held.tls, ca }, held.spiffeId, held.notAfter);
    notify();
  };

  const schedule = (delayMs: number, failures: number) => {
    clearTimeout(timer);
    if (closed) return;
    timer = setTimeout(() => {
      obtain(true).catch(() => {
        // Retry with backoff, but never past the certificate's expiry; after it, `auth` is used again.
        const left = (current?.notAfter ?? 0) - Date.now();
        const wait = Math.max(RETRY_MIN_MS, Math.min(RETRY_MIN_MS * 2 ** failures, left / 4, 60_000));
        if (left <= 0 && current !== undefined) current = { ...current, notAfter: 0 };
        schedule(wait, failures + 1);
      });
    }, Math.max(0, delayMs));
    timer.unref();
  };

  const held = () => {
    if (current === undefined) throw new GatehouseError("invalid_options", "the service identity has no certificate yet: await ready() first");
    return current;
  };

  return {
    ready() {
      if (starting === undefined) {
        starting = obtain(false);
        starting.catch(() => {
          starting = undefined;
        });
      }
      bundleTimer ??= setInterval(() => {
        // A failed re-read is retried at the next tick or renewal, with the bundle held until then.
        refreshBundle().catch(() => undefined);
      }, refreshSeconds * 1000).unref();
      return starting;
    },
    get spiffeId() {
      return held().spiffeId;
    },
    tlsOptions() {
      return held().tls;
    },
    onRotate(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    fetch: ((input: string | URL | Request, init?: RequestInit) => held().fetch.fetch(input, init)),
    close() {
      closed = true;
      clearTimeout(timer);
      clearInterval(bundleTimer);
      void current?.fetch.close();
      void issuerFetch.close();
    },
  };
}
