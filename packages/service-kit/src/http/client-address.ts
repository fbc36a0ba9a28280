import { BlockList, isIP } from "node:net";
import { z } from "zod";

/** One `trustedProxies` entry: an IP address or a CIDR block. */
export const trustedProxySchema = z.string().refine((value) => {
  const [address = "", bits, ...rest] = value.split("/");
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  const n = Number(bits);
  return /^\d+$/.test(bits) && n <= (family === 4 ? 32 : 128);
}, "must be an IP address or CIDR block");

/**
 * Who the client is, for `X-Forwarded-For` and per-IP limits. The socket peer is the client
 * unless it is a configured trusted proxy: then the `X-Forwarded-For` it sent is believed, and
 * the client is the right-most address in it that is not itself a trusted proxy (never the
 * left-most, which the client writes itself). The gateway and the auth server both use it.
 */
export class ClientAddressResolver {
  readonly #trusted: BlockList | undefined;

  constructor(trustedProxies: readonly string[]) {
    if (trustedProxies.length === 0) {
      this.#trusted = undefined;
      return;
    }
    const list = new BlockList();
    for (const entry of trustedProxies) {
      const [address = "", bits] = entry.split("/");
      const type = isIP(address) === 6 ? "ipv6" : "ipv4";
      if (bits === undefined) list.addAddress(address, type);
      else list.addSubnet(address, Number(bits), type);
    }
    this.#trusted = list;
  }

  /**
   * Returns the client address and the `X-Forwarded-For` value to send upstream: the peer alone,
   * or, from a trusted proxy, the incoming chain with the peer appended.
   */
  resolve(peer: string | undefined, forwardedFor: string | undefined): { client: string; forwardedFor: string } {
    const address = unmap(peer ?? "");
    if (this.#trusted === undefined || forwardedFor === undefined || !this.#isTrusted(address)) {
      return { client: address, forwardedFor: address };
    }
    const chain = forwardedFor.split(",").map((s) => s.trim()).filter((s) => s !== "");
    let client = address;
    for (let i = chain.length - 1; i >= 0; i--) {
      const hop = unmap(chain[i] ?? "");
      if (isIP(hop) === 0) break;
      client = hop;
      if (!this.#isTrusted(hop)) break;
    }
    return { client, forwardedFor: chain.length === 0 ? address : `${chain.join(", ")}, ${address}` };
  }

  #isTrusted(address: string): boolean {
    const type = isIP(address);
    if (type === 0 || this.#trusted === undefined) return false;
    return this.#trusted.check(address, type === 6 ? "ipv6" : "ipv4");
  }
}

/** `::ffff:127.0.0.1` → `127.0.0.1`. */
function unmap(address: string): string {
  return address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
