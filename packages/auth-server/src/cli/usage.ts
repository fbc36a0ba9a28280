/** Where a command writes: stdout for results (JSON), stderr for messages. */
export interface CommandOutput {
  stdout(line: string): void;
  stderr(line: string): void;
}

/** A command line that does not say what to do; exit code 64 (`EXIT_CODES.usage`). */
export class UsageError extends Error {
  override readonly name = "UsageError";
  readonly code = "usage";
}

/** The CLI's help text. */
export const USAGE = `usage: gatehouse-auth <command>

  serve --config FILE [--port N] [--host ADDRESS] [--workers N|auto]
        start the auth server (same as node dist/main.js; serve --help lists its flags and variables)
  keys generate --file FILE [--force]
        write a private JWKS with one new ES256 signing key
  keys rotate --file FILE | --config FILE [--delay SECONDS] [--retire-after SECONDS]
        publish a new key now, sign with it after --delay (default 60), retire older keys
        --retire-after seconds later (default: the config's longest token TTL plus clock
        tolerance with --config, else 305); --config also names the key file (keys.file)
  ca generate --file FILE --trust-domain DOMAIN [--force]
        write a CA file with one new certificate authority (ECDSA P-256, one year) that signs at once
  ca rotate --file FILE | --config FILE [--trust-domain DOMAIN] [--delay SECONDS] [--retire-after SECONDS]
        publish a new CA in the trust bundle now, sign with it after --delay (default 300), retire
        older CAs --retire-after seconds later (default: certificates.ttlSeconds + 60 with --config,
        else 3660); --config also names the CA file (ca.file) and the trust domain
  service keygen ID [--out DIR]
        write ID.private.jwk.json (keep it with the service) and ID.jwks.json (register it);
        print the public JWKS
  config check FILE
        validate a config file and everything it references (secret variables and files, JWKS files, key file)
  revoke --url URL (--service ID | --jti JTI | --kid KID) [--reason TEXT]
        revoke every token of a service issued until now, one token, or every token of a signing key,
        on every gateway and SDK verifier within a second (admin credential from GATEHOUSE_ADMIN_TOKEN)
  revocations --url URL
        list the active revocations (admin credential from GATEHOUSE_ADMIN_TOKEN)
  --help | --version

exit codes: 0 done, 1 unexpected error, 64 bad command line, 78 bad config or key file
  (serve adds 69 Redis/port unavailable and 70 workers crash-looping)
`;
