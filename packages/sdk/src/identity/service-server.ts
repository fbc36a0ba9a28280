/**
 * {@link createServiceServer}: an HTTPS server for a backend that accepts TLS connections only from the services it
 * lists (normally the gateway), identified by the SPIFFE ID in their Gatehouse certificate.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import { GatehouseError } from "../errors.js";
import { parseSpiffeId, spiffeIdOf } from "./spiffe.js";
import type { ServiceIdentity } from "./types.js";

/** Options of {@link createServiceServer}. */
export interface ServiceServerOptions {
  /** Service ids (of this trust domain) whose certificates may connect, e.g. `["gateway"]`. */
  readonly allow: readonly string[];
  /** Told about every refused connection (log it); the connection is already closed. */
  readonly onRefused?: (refusal: { readonly spiffeId: string | undefined; readonly remoteAddress: string | undefined; readonly reason: string }) => void;
}

/**
 * `https.createServer` with the identity's key, certificate and trust bundle, TLS 1.3, a client certificate
 * required and verified against the trust bundle (a missing, expired, self-signed or foreign certificate fails the
 * handshake with a TLS alert), and the client's SPIFFE ID checked against `allow`: any other service's connection is
 * closed right after the handshake, before a byte of HTTP is read. Certificates rotate in the running server
 * (`setSecureContext`). Call `listen` yourself; `identity.ready()` must have resolved.
 */
export function createServiceServer(
  identity: ServiceIdentity,
  handler: (request: IncomingMessage, response: ServerResponse) => void,
  options: ServiceServerOptions,
): Server {
  const trustDomain = parseSpiffeId(identity.spiffeId)?.trustDomain;
  if (trustDomain === undefined) throw new GatehouseError("invalid_options", `the identity's SPIFFE ID ${identity.spiffeId} cannot be parsed`);
  if (options.allow.length === 0) throw new GatehouseError("invalid_options", "allow must list at least one service id");
  const allowed = new Set(options.allow.map((id) => `spiffe://${trustDomain}/${id}`));
  const secure = () => ({ ...identity.tlsOptions(), requestCert: true, rejectUnauthorized: true, minVersion: "TLSv1.3" as const });
  const server = createServer(secure(), handler);
  // Before the HTTP layer attaches its parser: a refused connection never has a request read from it.
  server.prependListener("secureConnection", (socket) => {
    const peer = socket.getPeerX509Certificate();
    const spiffeId = peer === undefined ? undefined : spiffeIdOf(peer);
    if (spiffeId !== undefined && allowed.has(spiffeId)) return;
    socket.destroy();
    options.onRefused?.({ spiffeId, remoteAddress: socket.remoteAddress, reason: "the client's SPIFFE ID is not allowed" });
  });
  server.on("tlsClientError", (error, socket) => {
    options.onRefused?.({ spiffeId: undefined, remoteAddress: socket.remoteAddress, reason: error.message });
  });
  const unsubscribe = identity.onRotate(() => server.setSecureContext(secure()));
  server.on("close", unsubscribe);
  return server;
}
