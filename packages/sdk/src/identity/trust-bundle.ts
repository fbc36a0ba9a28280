/**
 * The `trustBundle` option of the SDK (service identity, verifier): PEM text, or the path of a PEM file, naming the
 * CA certificates of an HTTPS issuer the system does not trust (the Gatehouse dev trust bundle).
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { GatehouseError } from "../errors.js";
import { tlsFetch } from "./tls-fetch.js";

/** The PEM text of a `trustBundle` option; throws `invalid_options` when it is neither PEM nor a readable file. */
export function readTrustBundle(value: string): string {
  if (value.includes("-----BEGIN CERTIFICATE-----")) return value;
  let text: string;
  try {
    text = readFileSync(value, "utf8");
  } catch (error) {
    throw new GatehouseError("invalid_options", `trustBundle: ${value} is neither PEM text nor a readable file`, { cause: error });
  }
  if (!text.includes("-----BEGIN CERTIFICATE-----")) throw new GatehouseError("invalid_options", `trustBundle: ${value} holds no PEM certificate`);
  return text;
}

/** A `fetch` trusting `trustBundle` (instead of the system CAs), or the global `fetch` without one. */
export function fetchTrusting(trustBundle: string | undefined): typeof fetch {
  return trustBundle === undefined ? fetch : tlsFetch({ ca: readTrustBundle(trustBundle) }).fetch;
}
