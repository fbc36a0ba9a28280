/**
 * Reading a resource server's `WWW-Authenticate` answer (RFC 6750 §3): does it say the bearer token is invalid?
 *
 * @module
 */

/**
 * Whether a `WWW-Authenticate` value carries a `Bearer` challenge with `error="invalid_token"`
 * (quoted or as a token, RFC 7235 §2.1). Other schemes' parameters are ignored.
 */
export function saysInvalidToken(header: string | null): boolean {
  if (header === null) return false;
  // Split into challenges at each comma followed by "<scheme> <param>=" (a new challenge starts there).
  const challenges = header.split(/,(?=\s*[A-Za-z][\w!#$%&'*+.^`|~-]*\s+[\w!#$%&'*+.^`|~-]+\s*=)/);
  return challenges.some((challenge) => {
    const match = /^\s*Bearer\b(.*)$/is.exec(challenge);
    return match !== null && /(?:^|[\s,])error\s*=\s*(?:"invalid_token"|invalid_token)(?:$|[\s,])/i.test(match[1] ?? "");
  });
}
