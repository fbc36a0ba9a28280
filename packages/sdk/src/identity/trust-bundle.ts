/**
 * The `trustBundle` option of the SDK (service identity, verifier): PEM text, or the path of a PEM file, naming the
 * CA certificates of an HTTPS issuer the system does not trust (the Gatehouse dev trust bundle).
 *
 * @module
 */
import { readFileSync, statSync } from "node:fs";
import { GatehouseError } from "../errors.js";
import { holdsWholeCertificates } from "./pem.js";
import { tlsFetch } from "./tls-fetch.js";

/** Whether a `trustBundle` option is PEM text itself rather than the path of a file. */
function isPemText(value: string): boolean {
  return value.includes("-----BEGIN CERTIFICATE-----");
}

/**
 * The PEM text of a `trustBundle` option; throws `invalid_options` when it is neither PEM nor a readable file, or
 * when a certificate in it is cut off or does not parse.
 */
export function readTrustBundle(value: string): string {
  const inline = isPemText(value);
  let text = value;
  if (!inline) {
    try {
      text = readFileSync(value, "utf8");
    } catch (error) {
      throw new GatehouseError("invalid_options", `trustBundle: ${value} is neither PEM text nor a readable file`, { cause: error });
    }
  }
  if (!holdsWholeCertificates(text)) {
    throw new GatehouseError("invalid_options", `trustBundle: ${inline ? "the PEM text" : value} holds no PEM certificate, or one that is cut off or does not parse`);
  }
  return text;
}

/**
 * A `fetch` trusting `trustBundle` (instead of the system CAs), or the global `fetch` without one.
 *
 * A bundle given as a file is looked at again before each request and re-read when the file changed (another
 * modification time, size or inode: a rewrite, or a mounted secret swapped by its symlink), so a CA that a rotation
 * published there is trusted from the next connection on, without a restart. A file that cannot be read, or holds no
 * certificate, at that moment leaves the bundle read last in place until it is whole again.
 */
export function fetchTrusting(trustBundle: string | undefined): typeof fetch {
  if (trustBundle === undefined) return fetch;
  if (isPemText(trustBundle)) return tlsFetch({ ca: readTrustBundle(trustBundle) }).fetch;
  const file = trustBundle;
  let stamp = fileStamp(file);
  let current = tlsFetch({ ca: readTrustBundle(file) });
  return (input, init) => {
    const now = fileStamp(file);
    if (now !== undefined && now !== stamp) {
      try {
        const next = tlsFetch({ ca: readTrustBundle(file) });
        const previous = current;
        current = next;
        stamp = now;
        // Requests already under way (a revocation feed's stream) finish on the connections they have.
        void previous.close();
      } catch {
        // Half-written or gone for now: keep trusting what was read last; the next request looks again.
      }
    }
    return current.fetch(input, init);
  };
}

/** What tells that a file changed without reading it; `undefined` when it cannot be looked at. */
function fileStamp(file: string): string | undefined {
  try {
    const stat = statSync(file);
    return `${String(stat.ino)}:${String(stat.size)}:${String(stat.mtimeMs)}`;
  } catch {
    return undefined;
  }
}
