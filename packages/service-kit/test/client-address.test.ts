import { describe, expect, it } from "vitest";
import { ClientAddressResolver } from "../src/http/client-address.js";

describe("ClientAddressResolver", () => {
  const resolver = new ClientAddressResolver(["10.0.0.0/8", "192.168.1.7", "fd00::/8"]);

  it("ignores X-Forwarded-For from an untrusted peer", () => {
    expect(resolver.resolve("203.0.113.9", "1.2.3.4")).toEqual({ client: "203.0.113.9", forwardedFor: "203.0.113.9" });
  });

  it("believes a trusted peer and takes the right-most untrusted hop as the client", () => {
    expect(resolver.resolve("10.1.2.3", "198.51.100.1, 203.0.113.5, 10.9.9.9")).toEqual({
      client: "203.0.113.5",
      forwardedFor: "198.51.100.1, 203.0.113.5, 10.9.9.9, 10.1.2.3",
    });
  });

  it("stops at a hop that is not an IP address", () => {
    expect(resolver.resolve("192.168.1.7", "203.0.113.5, unknown")).toEqual({
      client: "192.168.1.7",
      forwardedFor: "203.0.113.5, unknown, 192.168.1.7",
    });
  });

  it("unmaps IPv4-mapped IPv6 peers and handles IPv6 subnets", () => {
    expect(resolver.resolve("::ffff:10.0.0.1", "198.51.100.1")).toEqual({ client: "198.51.100.1", forwardedFor: "198.51.100.1, 10.0.0.1" });
    expect(resolver.resolve("fd00::1", "2001:db8::1")).toEqual({ client: "2001:db8::1", forwardedFor: "2001:db8::1, fd00::1" });
  });

  it("trusts nobody by default", () => {
    expect(new ClientAddressResolver([]).resolve("127.0.0.1", "1.2.3.4")).toEqual({ client: "127.0.0.1", forwardedFor: "127.0.0.1" });
  });
});
