import { request } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Started } from "../../lib/processes.js";

/** A free port on 127.0.0.1 for servers that cannot report a port 0 choice: the tests' choice, below the kernel's ephemeral range. */
export { freePort } from "@gatehouse/service-kit/testing";

/** TLS options of a probe to an `https://` URL: the trust bundle, a client certificate, the name to verify. */
export interface ProbeTls {
  /** The trust bundle; absent only with `rejectUnauthorized: false`. */
  readonly ca?: string;
  /** `false` only to wait for a server whose CA is not known yet (it is made at its start), on 127.0.0.1. */
  readonly rejectUnauthorized?: boolean;
  readonly cert?: string;
  readonly key?: string;
  /** The name the server's certificate must carry (SNI), when the URL's host is an address. */
  readonly servername?: string;
}

/**
 * One GET; resolves with the status code, rejects on a socket error or after 2 s. An `https://` URL is
 * reached with `tls` (a fresh connection each time).
 */
export function probe(url: string, headers: Record<string, string> = {}, tls?: ProbeTls): Promise<number> {
  return new Promise((resolve, reject) => {
    const secure = url.startsWith("https:");
    const send = secure ? httpsRequest : request;
    const options = secure ? { headers, timeout: 2_000, agent: false as const, ...tls } : { headers, timeout: 2_000 };
    const req = send(url, options, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("timeout", () => req.destroy(new Error(`timeout on ${url}`)));
    req.on("error", reject);
    req.end();
  });
}

/**
 * Waits until `url` answers any HTTP status (over `tls` for `https://`), failing early when `owner`
 * exits and at the latest after `timeoutMs`.
 */
export async function waitForHttp(url: string, owner: Started, timeoutMs = 20_000, tls?: ProbeTls): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: string | undefined;
  void owner.exited.then((code) => (exited = code));
  for (;;) {
    if (exited !== undefined) throw new Error(`${owner.name} exited (${exited}) before answering; see ${owner.logFile}`);
    try {
      await probe(url, {}, tls);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${owner.name} did not answer ${url} within ${timeoutMs} ms; see ${owner.logFile}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
