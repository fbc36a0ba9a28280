/**
 * `fetch` over TLS with a given trust bundle and, optionally, a client certificate (undici's `Agent`), so that
 * requests to an HTTPS issuer or a TLS backend present the service's certificate.
 *
 * @module
 */
import { Agent, fetch as undiciFetch } from "undici";

/** The TLS material of a connection: client key and certificate chain (PEM), and the CA certificates to trust. */
export interface TlsMaterial {
  readonly key?: string;
  readonly cert?: string;
  readonly ca?: string;
}

/** A `fetch` whose connections trust `material.ca` (or the system CAs) and present `material.cert` when set. */
export function tlsFetch(material: TlsMaterial): { fetch: typeof fetch; close(): Promise<void> } {
  const connect = {
    ...(material.ca === undefined ? {} : { ca: material.ca }),
    ...(material.cert === undefined || material.key === undefined ? {} : { cert: material.cert, key: material.key }),
  };
  const dispatcher = new Agent({ connect });
  const send = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = input instanceof Request ? input.url : input;
    const response = await undiciFetch(url, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher });
    // Handed back as the global Response every caller (and oauth4webapi's checks) expects.
    const body = response.status === 204 || response.status === 304 || response.body === null ? null : response.body;
    return new Response(body as ReadableStream<Uint8Array> | null, { status: response.status, statusText: response.statusText, headers: [...response.headers] });
  };
  return { fetch: send, close: () => dispatcher.close() };
}
