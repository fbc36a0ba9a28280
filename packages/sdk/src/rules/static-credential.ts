import { createHash, timingSafeEqual } from "node:crypto";

/**
 * The one comparison of a presented bearer value with a static credential (the admin credential the auth server's
 * admin API and the console accept): both sides hashed with SHA-256 and compared with `timingSafeEqual`, so neither
 * the content nor the length of the credential leaks through timing. Returns a checker that holds only the digest.
 */
export function staticCredentialMatcher(credential: string): (presented: string) => boolean {
  const want = createHash("sha256").update(credential).digest();
  return (presented) => timingSafeEqual(createHash("sha256").update(presented).digest(), want);
}
