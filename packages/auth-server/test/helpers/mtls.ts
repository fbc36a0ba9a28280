import { X509Certificate } from "node:crypto";
import * as oauth from "oauth4webapi";
import { Agent, fetch as undiciFetch } from "undici";
import { makeCsr } from "./csr.js";

/** A TLS client identity: certificate chain and private key (PEM). */
export interface TlsIdentity {
  readonly cert: string;
  readonly key: string;
}

/** A fetch that trusts `ca` and, when given, presents `identity` as its client certificate. */
export function tlsFetch(ca: string, identity?: TlsIdentity): (url: string, init?: RequestInit) => Promise<Response> {
  const dispatcher = new Agent({ connect: { ca, ...(identity === undefined ? {} : { cert: identity.cert, key: identity.key }) } });
  return async (url, init) => {
    const response = await undiciFetch(url, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher });
    // Re-wrapped as the global Response the callers' types (and oauth4webapi's checks) expect.
    const body = response.status === 204 || response.status === 304 ? null : await response.arrayBuffer();
    return new Response(body, { status: response.status, headers: [...response.headers] });
  };
}

/** oauth4webapi's `customFetch` for any of its requests. */
type CustomFetch = (url: string, options: oauth.CustomFetchOptions<string, unknown>) => Promise<Response>;

/** oauth4webapi options sending every request through {@link tlsFetch}. */
export function tlsOptions(ca: string, identity?: TlsIdentity): { [oauth.customFetch]: CustomFetch } {
  const send = tlsFetch(ca, identity);
  const custom: CustomFetch = (url, options) => {
    const body = options.body as RequestInit["body"];
    return send(url, { method: options.method, headers: options.headers, redirect: options.redirect, ...(body === undefined ? {} : { body }) });
  };
  return { [oauth.customFetch]: custom };
}

/** Gets a certificate from the certificate endpoint for a fresh key, authenticated with HTTP Basic. */
export async function certificateWithBasic(endpoint: string, ca: string, id: string, secret: string): Promise<TlsIdentity> {
  const { der, keyPem } = await makeCsr();
  const response = await tlsFetch(ca)(endpoint, {
    method: "POST",
    headers: { "content-type": "application/pkcs10", authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}` },
    body: der.toString("base64"),
  });
  if (response.status !== 200) throw new Error(`certificate request failed: ${response.status} ${await response.text()}`);
  return { cert: await response.text(), key: keyPem };
}

/** The RFC 8705 §3.1 thumbprint of a certificate: base64url SHA-256 of its DER. */
export function x5tS256(certPem: string): string {
  return Buffer.from(new X509Certificate(certPem).fingerprint256.replace(/:/g, ""), "hex").toString("base64url");
}

/** The payload of a JWT (not verified: the tests verify elsewhere). */
export function jwtPayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()) as Record<string, unknown>;
}
