/**
 * Reading a resource server's `WWW-Authenticate` answer (RFC 6750 §3): does it say the bearer token is invalid?
 *
 * @module
 */
import * as oauth from "oauth4webapi";

/**
 * The challenges of a `WWW-Authenticate` value as oauth4webapi parses them (RFC 7235 §2.1: several challenges in
 * one value, quoted strings with commas and escapes, token68), or `undefined` when it does not parse.
 *
 * oauth4webapi does not export its challenge parser. It runs it on every response its `process…Response` functions
 * receive and, as documented, rejects a response that carries challenges with `WWWAuthenticateChallengeError`,
 * whose `cause` is the parsed list. `processRevocationResponse` takes nothing but a response, so it is handed a
 * body-less response with only this header; any other outcome means the header held no challenge it could parse.
 */
async function parseChallenges(header: string): Promise<readonly oauth.WWWAuthenticateChallenge[] | undefined> {
  try {
    await oauth.processRevocationResponse(new Response(null, { status: 401, headers: { "www-authenticate": header } }));
  } catch (error) {
    if (error instanceof oauth.WWWAuthenticateChallengeError) return error.cause;
  }
  return undefined;
}

/**
 * Whether a `WWW-Authenticate` value carries a `Bearer` challenge with `error="invalid_token"` (quoted or as a
 * token, RFC 7235 §2.1). Other schemes' parameters, and text inside quoted strings, are ignored.
 */
export async function saysInvalidToken(header: string | null): Promise<boolean> {
  if (header === null) return false;
  const challenges = await parseChallenges(header);
  return challenges?.some((challenge) => challenge.scheme === "bearer" && challenge.parameters.error === "invalid_token") ?? false;
}
