// Static checks of docker-compose.yml and docker/: the file is valid Compose, and every service
// follows the hardening rules that `pnpm test:compose` then checks on running containers.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderAuthConfig, renderGatewayConfig } from "../../scripts/dev-stack/configs.ts";
import { renderRedisAcl } from "../../scripts/redis-acl.ts";

const root = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

/** Interpolates `${NAME:-default}` the way compose does with no such variable set. */
function interpolate(text: string): string {
  return text.replace(/\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}/g, (_, _name: string, fallback: string | undefined) => fallback ?? "");
}

interface Healthcheck {
  readonly test?: readonly string[];
  readonly disable?: boolean;
}
interface Service {
  readonly image?: string;
  readonly build?: { readonly context: string; readonly dockerfile: string; readonly args: Readonly<Record<string, string>> };
  readonly user?: string;
  readonly read_only?: boolean;
  readonly privileged?: boolean;
  readonly cap_drop?: readonly string[];
  readonly cap_add?: readonly string[];
  readonly security_opt?: readonly string[];
  readonly mem_limit?: string;
  readonly pids_limit?: number;
  readonly restart?: string;
  readonly tmpfs?: readonly string[];
  readonly healthcheck?: Healthcheck;
  readonly depends_on?: Readonly<Record<string, { readonly condition?: string }>> | readonly string[];
  readonly ports?: readonly string[];
  readonly networks?: readonly string[];
  readonly network_mode?: string;
  readonly environment?: Readonly<Record<string, string>>;
  readonly secrets?: readonly string[];
  readonly volumes?: readonly string[];
}
interface ComposeFile {
  readonly services: Readonly<Record<string, Service>>;
  readonly networks: Readonly<Record<string, { readonly internal?: boolean } | null>>;
  readonly secrets: Readonly<Record<string, { readonly file?: string }>>;
}

const composeText = read("docker-compose.yml");
const compose = parse(interpolate(composeText), { merge: true }) as ComposeFile;
const services = Object.entries(compose.services);
const nodeServices = services.filter(([, service]) => service.build !== undefined);

describe("docker-compose.yml", () => {
  it("is valid against the Compose Specification JSON schema", () => {
    // dclint ships the compose-spec schema (schemas/compose.schema.json) without exporting it.
    const schemaFile = createRequire(import.meta.url).resolve("dclint/package.json").replace(/package\.json$/, "schemas/compose.schema.json");
    const { $schema: dialect, ...schema } = JSON.parse(readFileSync(schemaFile, "utf8")) as { $schema: string; title: string };
    expect([dialect, schema.title]).toEqual(["https://json-schema.org/draft-07/schema", "Compose Specification"]);
    // Ajv's default dialect is draft-07; it knows it by its `http://…#` name only, hence the split.
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    // The same check refuses a misspelled key, so the pass above means something.
    const redis = compose.services["redis"];
    expect(validate({ ...compose, services: { ...compose.services, redis: { ...redis, read_onyl: true } } })).toBe(false);
    expect(validate.errors?.map((e) => [e.instancePath, e.message])).toContainEqual(["/services/redis", "must NOT have additional properties"]);
  });

  it("runs exactly Redis, the auth server, the gateway, the console and the two demo services", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["auth-server", "console", "gateway", "inventory", "orders", "redis"]);
  });

  it.each(services)("%s: read-only root, every capability dropped, no new privileges, not privileged", (_, service) => {
    expect(service.read_only).toBe(true);
    expect(service.cap_drop).toEqual(["ALL"]);
    expect(service.cap_add).toBeUndefined();
    expect(service.security_opt).toContain("no-new-privileges:true");
    expect(service.privileged).toBeUndefined();
    expect(service.network_mode).toBeUndefined();
  });

  it.each(services)("%s: a numeric non-root user, memory and process limits, restart policy", (_, service) => {
    expect(service.user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    expect(service.mem_limit).toMatch(/^\d+m$/);
    expect(service.pids_limit).toBeGreaterThan(0);
    expect(service.restart).toBe("unless-stopped");
  });

  it.each(services)("%s: a healthcheck, and it waits for the health of what it depends on", (name, service) => {
    expect(service.healthcheck?.disable).toBeUndefined();
    expect(service.healthcheck?.test?.[0]).toBe("CMD");
    const dependsOn = service.depends_on ?? {};
    expect(Array.isArray(dependsOn), "depends_on must use the long form with a condition").toBe(false);
    for (const [dependency, { condition }] of Object.entries(dependsOn)) {
      expect(compose.services[dependency], `${name} depends on unknown ${dependency}`).toBeDefined();
      expect(condition).toBe("service_healthy");
    }
  });

  it.each(nodeServices)("%s: healthcheck is `node -e` (no curl in the image): a fetch of its plain-HTTP health port, or its port listening", (name, service) => {
    const [, command, flag, script = ""] = service.healthcheck?.test ?? [];
    expect([command, flag]).toEqual(["node", "-e"]);
    if (name === "gateway" || name === "auth-server" || name === "console") {
      // The gateway's and the auth server's public ports speak HTTPS; /healthz answers on the plain-HTTP admin port (the
      // auth server's on its loopback). The console serves plain HTTP on loopback-published 9400.
      const port = name === "gateway" ? service.environment?.["ADMIN_PORT"] : name === "console" ? "9400" : "4001";
      expect(script).toContain(`fetch('http://127.0.0.1:${port ?? "?"}/healthz'`);
      expect(script).toContain("AbortSignal.timeout(");
    } else {
      // The demo backends accept TLS from the gateway only: healthy = their port in LISTEN state (they listen once certified).
      const hex = Number(service.environment?.["PORT"]).toString(16).toUpperCase();
      expect(script).toContain(`/:${hex} [0-9A-F]{8}:[0-9A-F]{4} 0A /.test(require('fs').readFileSync('/proc/net/tcp','utf8'))`);
    }
  });

  it.each(nodeServices)("%s: V8's heap limit (NODE_OPTIONS --max-old-space-size) leaves a third of mem_limit to the rest", (_, service) => {
    const heapMiB = Number(/^--max-old-space-size=(\d+)$/.exec(service.environment?.["NODE_OPTIONS"] ?? "")?.[1]);
    const limitMiB = Number(/^(\d+)m$/.exec(service.mem_limit ?? "")?.[1]);
    expect(heapMiB).toBeGreaterThan(0);
    // The services warn at start above 75 %; the young generation and code come on top of the old space.
    expect(heapMiB).toBeLessThanOrEqual(limitMiB * 0.65);
  });

  it.each(nodeServices)("%s: writable only in a size-bounded /tmp, listening on every interface of its networks", (_, service) => {
    expect(service.tmpfs).toEqual([expect.stringMatching(/^\/tmp:size=\d+m/)]);
    expect(service.environment?.["HOST"]).toBe("0.0.0.0");
    for (const volume of service.volumes ?? []) expect(volume).toMatch(/:ro$/);
  });

  it("only the gateway and the console publish ports, and only on 127.0.0.1", () => {
    const published = Object.fromEntries(services.filter(([, s]) => s.ports !== undefined).map(([name, s]) => [name, s.ports]));
    expect(published).toEqual({ gateway: ["127.0.0.1:8080:8080", "127.0.0.1:9090:9090"], console: ["127.0.0.1:9400:9400"] });
  });

  it("Redis, the auth server and the backends sit only on the internal network, which is `internal: true`", () => {
    expect(compose.networks["internal"]?.internal).toBe(true);
    expect(compose.networks["edge"]?.internal).toBeUndefined();
    for (const [name, service] of services) {
      expect(service.networks, name).toEqual(name === "gateway" || name === "console" ? ["internal", "edge"] : ["internal"]);
    }
  });

  it("the service CA's key is a secret of the auth server only; the others get its certificate (trust_bundle)", () => {
    const holders = (secret: string) => services.filter(([, service]) => service.secrets?.includes(secret)).map(([name]) => name).sort();
    expect(holders("ca_key")).toEqual(["auth-server"]);
    expect(holders("trust_bundle")).toEqual(["auth-server", "console", "gateway", "inventory", "orders"]);
    const auth = parse(read("docker/config/auth-server.yaml")) as { ca: unknown; tls: unknown; trustDomain: string };
    expect(auth).toMatchObject({ ca: { certFile: "/run/secrets/trust_bundle", keyFile: "/run/secrets/ca_key" }, tls: { fromCa: true }, trustDomain: "gatehouse.internal" });
  });

  it("every secret is a file that docker/make-secrets.sh makes, and every one is mounted", () => {
    const used = new Set(services.flatMap(([, service]) => service.secrets ?? []));
    const files = Object.entries(compose.secrets).map(([name, secret]) => {
      expect(used.has(name), `secret ${name} is never mounted`).toBe(true);
      expect(secret.file, name).toMatch(/^\.\/docker\/secrets\/[\w.-]+$/);
      return (secret.file ?? "").slice("./docker/secrets/".length);
    });
    expect(composeText).toContain("${GATEHOUSE_SECRETS_DIR:-./docker/secrets}/");
    const dir = join(mkdtempSync(join(tmpdir(), "gatehouse-secrets-")), "secrets");
    try {
      const run = () => execFileSync("bash", [fileURLToPath(new URL("docker/make-secrets.sh", root))], { env: { ...process.env, GATEHOUSE_SECRETS_DIR: dir }, encoding: "utf8" });
      run();
      // The replication user's password serves the Kubernetes overlay's replicas and Sentinel only.
      expect(readdirSync(dir).sort()).toEqual([...files, "redis-replication.password"].sort());
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      for (const file of files) expect(statSync(join(dir, file)).mode & 0o777, file).toBe(0o644);
      const before = files.map((file) => readFileSync(join(dir, file), "utf8"));
      expect(run()).toBe("");
      expect(files.map((file) => readFileSync(join(dir, file), "utf8"))).toEqual(before);
      // The ACL file is the shipped template with the components' password hashes, `default` off.
      const passwords = new Map([
        ["auth-server", readFileSync(join(dir, "redis-auth-server.password"), "utf8")],
        ["gateway", readFileSync(join(dir, "redis-gateway.password"), "utf8")],
        ["console", readFileSync(join(dir, "redis-console.password"), "utf8")],
        ["replication", readFileSync(join(dir, "redis-replication.password"), "utf8")],
      ]);
      const acl = readFileSync(join(dir, "redis-users.acl"), "utf8");
      expect(acl).toBe(renderRedisAcl(passwords));
      expect(acl.split("\n")[0]).toBe("user default off resetkeys resetchannels -@all");
      for (const password of passwords.values()) expect(acl).not.toContain(password);
    } finally {
      rmSync(dirname(dir), { recursive: true, force: true });
    }
  });

  it("no environment value is a secret: credentials are named by *_FILE variables or mounted", () => {
    for (const [name, service] of services) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        if (/PASSWORD|SECRET|TOKEN|PRIVATE|CREDENTIALS|_KEY$/.test(key)) {
          expect(value, `${name}: ${key}`).toMatch(/^\/run\/secrets\/\w+$/);
        }
        expect(value, `${name}: ${key} holds credentials in a URL`).not.toMatch(/\/\/[^/@]*:[^/@]*@/);
      }
    }
  });

  it("builds each Node.js service from docker/Dockerfile with NODE_IMAGE passed through", () => {
    const prepare = read("docker/prepare.sh");
    for (const [name, service] of nodeServices) {
      expect(service.build, name).toEqual({ context: ".", dockerfile: "docker/Dockerfile", args: { NODE_IMAGE: "node:24-slim", SERVICE: name } });
      expect(prepare, `docker/prepare.sh does not assemble ${name}`).toContain(`"${name}:@gatehouse/`);
    }
    expect(compose.services["redis"]?.image).toBe("redis:7");
  });

  it("the gateway's upstreams are compose services on the internal network, at the ports they listen on", () => {
    const gateway = parse(read("docker/config/gateway.yaml")) as { issuer: string; routes: { upstreams: string[] }[] };
    const auth = parse(read("docker/config/auth-server.yaml")) as { issuer: string };
    expect(gateway.issuer).toBe(auth.issuer);
    const urls = [gateway.issuer, ...gateway.routes.flatMap((route) => route.upstreams)];
    for (const url of urls) {
      const { hostname, port } = new URL(url);
      const upstream = compose.services[hostname];
      expect(upstream?.networks, url).toContain("internal");
      expect(upstream?.environment?.["PORT"], url).toBe(port);
    }
  });
});

describe("docker/Dockerfile", () => {
  const dockerfile = read("docker/Dockerfile");
  const instructions = dockerfile.split("\n").filter((line) => /^[A-Z]+ /.test(line));

  it("defaults the runtime base to the official Node.js 24 slim image, overridable with NODE_IMAGE", () => {
    expect(instructions[0]).toBe("ARG NODE_IMAGE=node:24-slim");
    expect(instructions.filter((line) => line.startsWith("FROM "))).toEqual(["FROM scratch AS app", "FROM ${NODE_IMAGE} AS runtime"]);
  });

  it("installs nothing during the build and runs as the non-root user 1000:1000", () => {
    expect(instructions.filter((line) => line.startsWith("RUN "))).toEqual([]);
    expect(instructions.filter((line) => line.startsWith("USER "))).toEqual(["USER 1000:1000"]);
    expect(instructions).toContain('ENTRYPOINT ["node", "/app/dist/main.js"]');
  });

  it("receives only the production trees as its build context", () => {
    expect(read(".dockerignore").split("\n").filter((line) => line !== "" && !line.startsWith("#"))).toEqual(["*", "!.gatehouse/docker/deploy/"]);
  });
});

describe("docker/config", () => {
  // `pnpm start` listens on loopback ports where compose has service names.
  const ports = { auth: 4000, authAdmin: 4001, gateway: 8080, admin: 9090, orders: 7001, inventory: 7002, console: 9400 };
  const hosts: Readonly<Record<string, string>> = {
    "https://127.0.0.1:4000": "https://auth-server:4000",
    "https://127.0.0.1:7001": "https://orders:7001",
    "https://127.0.0.1:7002": "https://inventory:7002",
  };

  // An upstream keeps its path (`http://127.0.0.1:4000/token` → `http://auth-server:4000/token`).
  const composeUpstream = (url: string) => {
    const { origin } = new URL(url);
    return `${hosts[origin] ?? origin}${url.slice(origin.length)}`;
  };

  it("gateway.yaml has the routes `pnpm start` serves, with compose service names as upstreams", () => {
    const dev = parse(renderGatewayConfig({ issuer: "https://127.0.0.1:4000", ports, trustBundleFile: ".gatehouse/dev/trust-bundle.pem" })) as {
      issuer: string;
      revocation: Record<string, unknown>;
      listener: unknown;
      proxy: unknown;
      routes: { upstreams: string[]; upstreamIdentity?: string }[];
    };
    // The gateway's client secret: an environment variable in `pnpm start`, a mounted secret file here; the same for the trust bundle.
    const { secretEnv, ...revocation } = dev.revocation;
    expect(secretEnv).toBe("GATEWAY_CLIENT_SECRET");
    const expected = {
      issuer: hosts[dev.issuer],
      identity: { clientId: "gateway", secretFile: "/run/secrets/gateway_secret" },
      verifier: { trustBundleFile: "/run/secrets/trust_bundle" },
      listener: dev.listener,
      proxy: dev.proxy,
      revocation: { ...revocation, secretFile: "/run/secrets/gateway_secret" },
      routes: dev.routes.map((route) => ({ ...route, upstreams: route.upstreams.map(composeUpstream) })),
    };
    expect(parse(read("docker/config/gateway.yaml"))).toEqual(expected);
  });

  it("auth-server.yaml registers the services `pnpm start` registers, with keys and secrets from /run/secrets", () => {
    const jwk = { kty: "EC", crv: "P-256", x: "x", y: "y" };
    type Registry = Record<string, { auth: Record<string, unknown>; attributes: Record<string, string> }>;
    const dev = parse(renderAuthConfig({ issuer: "http://127.0.0.1:4000", adminPort: 4001, stateDir: ".gatehouse", orders: jwk, inventory: jwk })) as { services: Registry };
    const docker = parse(read("docker/config/auth-server.yaml")) as { issuer: string; keys: unknown; admin: unknown; revocation: unknown; services: Registry };
    expect(docker.issuer).toBe("https://auth-server:4000");
    expect(docker.keys).toEqual({ file: "/run/secrets/signing_keys", registryMacKeyFile: "/run/secrets/registry_mac_key" });
    expect(docker.revocation).toEqual((parse(renderAuthConfig({ issuer: "http://127.0.0.1:4000", adminPort: 4001, stateDir: ".gatehouse", orders: jwk, inventory: jwk })) as { revocation: unknown }).revocation);
    // No admin credential in an environment here: the operator gets an admin API token (admin.audience)
    // as the registered service `operator`; `pnpm start` gives the admin API a credential in GATEHOUSE_ADMIN_TOKEN.
    expect(docker.admin).toEqual({ enabled: true, port: 4001, audience: "https://gatehouse.internal/admin" });
    const { operator, "gatehouse-admin": adminResource, ...shared } = docker.services;
    expect(operator).toMatchObject({ allow: { "gatehouse-admin": ["gatehouse:admin"] } });
    expect(adminResource).toMatchObject({ resource: "https://gatehouse.internal/admin", scopes: ["gatehouse:admin"], auth: { method: "tls_client_auth" } });
    docker.services = shared;
    const shape = (services: Registry) =>
      Object.fromEntries(
        Object.entries(services).map(([id, service]) => [
          id,
          // dnsNames: the gateway's HTTPS listener is `localhost` in `pnpm start`, also `gateway` (its service name) here.
          { ...service, auth: service.auth["method"], attributes: { ...service.attributes, environment: "any" }, dnsNames: undefined },
        ]),
      );
    expect(shape(docker.services)).toEqual(shape(dev.services));
    expect(Object.fromEntries(Object.entries(docker.services).map(([id, service]) => [id, service.auth]))).toEqual({
      "demo-cli": { method: "client_secret_basic", secretFile: "/run/secrets/demo_cli_secret" },
      gateway: { method: "client_secret_basic", secretFile: "/run/secrets/gateway_secret" },
      gatehouse: { method: "tls_client_auth" },
      orders: { method: "private_key_jwt", jwksFile: "/run/secrets/orders_jwks" },
      inventory: { method: "private_key_jwt", jwksFile: "/run/secrets/inventory_jwks" },
    });
  });
});
