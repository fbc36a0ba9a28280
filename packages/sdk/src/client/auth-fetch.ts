/**
 * `fetch` with the bearer token of the target's resource, and one refresh-and-retry on a 401 `invalid_token`.
 *
 * @module
 */
import type { AuthFetchInit, TokenRequest } from "./types.js";
import { saysInvalidToken } from "./www-authenticate.js";

/** What `authFetch` needs from the token source. */
export interface BearerProvider {
  /** Sends the request instead of `fetch` (presents the service identity's certificate). */
  readonly fetch?: typeof fetch;
  getToken(request: TokenRequest): Promise<string>;
  invalidate(request: TokenRequest, token: string): void;
}

/** A body that can be sent twice (a stream cannot). */
function replayable(body: RequestInit["body"]): boolean {
  return !(body instanceof ReadableStream) && !(typeof body === "object" && body !== null && Symbol.asyncIterator in body);
}

/**
 * `fetch(input, init)` with `Authorization: Bearer <token for init.resource>`; on a 401 whose challenge says
 * `invalid_token`, drops that token and retries once with a new one (not for stream bodies). Does not follow the
 * target's other challenges (e.g. `insufficient_scope`): the response is returned as it is.
 */
export async function authFetch(tokens: BearerProvider, input: string | URL, init: AuthFetchInit): Promise<Response> {
  const { resource, scopes, ...requestInit } = init;
  const request: TokenRequest = scopes === undefined ? { resource } : { resource, scopes };
  const send = async (token: string): Promise<Response> => {
    const headers = new Headers(requestInit.headers);
    headers.set("authorization", `Bearer ${token}`);
    return (tokens.fetch ?? fetch)(input, { ...requestInit, headers });
  };
  const token = await tokens.getToken(request);
  const response = await send(token);
  if (response.status !== 401 || !replayable(requestInit.body) || !(await saysInvalidToken(response.headers.get("www-authenticate")))) {
    return response;
  }
  await response.body?.cancel();
  tokens.invalidate(request, token);
  return send(await tokens.getToken(request));
}
