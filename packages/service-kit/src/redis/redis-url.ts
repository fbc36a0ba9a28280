import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { RedisOptions } from "ioredis";
import { StartFlagError } from "../start/start-flag-error.js";

/** Where a Redis deployment is: one server, or a master found through Redis Sentinel. */
export type RedisTarget =
  | {
      readonly kind: "server";
      readonly host: string;
      readonly port: number;
      readonly tls: boolean;
      readonly db: number;
      readonly username: string | undefined;
      readonly password: string | undefined;
    }
  | {
      readonly kind: "sentinel";
      readonly sentinels: readonly { readonly host: string; readonly port: number }[];
      /** The master's name as the sentinels know it (`sentinel monitor <name> …`). */
      readonly name: string;
      readonly db: number;
      readonly username: string | undefined;
      readonly password: string | undefined;
    };

const DEFAULT_PORT = 6379;
const DEFAULT_SENTINEL_PORT = 26_379;
const FORMS = "a redis://, rediss:// or redis+sentinel://host:port,host:port/mastername URL";

/**
 * Parses `REDIS_URL`:
 *
 * - `redis://[user[:password]@]host[:port][/db]`, `rediss://…` (TLS);
 * - `redis+sentinel://[user[:password]@]host[:port],host[:port]…/mastername[/db]`: the sentinels to
 *   ask (default port 26379) for the master called `mastername`; credentials are the master's.
 *
 * The password is never echoed in an error message.
 */
export function parseRedisUrl(value: string): RedisTarget {
  const sentinel = /^redis\+sentinel:\/\/(?:([^@/]*)@)?([^/?#]+)\/([^/?#]+)(?:\/(\d+))?\/?$/i.exec(value);
  if (sentinel !== null) {
    const [, userinfo, hostList = "", name = "", db] = sentinel;
    const credentials = parseUserinfo(userinfo);
    return {
      kind: "sentinel",
      sentinels: hostList.split(",").map((entry) => parseHostPort(entry.trim(), DEFAULT_SENTINEL_PORT)),
      name: decode(name),
      db: parseDb(db),
      ...credentials,
    };
  }
  if (/^redis\+sentinel:/i.test(value)) throw new StartFlagError(`REDIS_URL must be ${FORMS}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new StartFlagError(`REDIS_URL must be ${FORMS}`);
  }
  if ((url.protocol !== "redis:" && url.protocol !== "rediss:") || url.hostname === "") {
    throw new StartFlagError(`REDIS_URL must be ${FORMS}`);
  }
  if (url.search !== "" || url.hash !== "") throw new StartFlagError("REDIS_URL takes no query or fragment");
  const path = url.pathname.replace(/^\//, "");
  if (path !== "" && !/^\d+$/.test(path)) throw new StartFlagError(`REDIS_URL: the path must be a database number, got ${JSON.stringify(path)}`);
  return {
    kind: "server",
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port === "" ? DEFAULT_PORT : Number(url.port),
    tls: url.protocol === "rediss:",
    db: parseDb(path === "" ? undefined : path),
    username: url.username === "" ? undefined : decode(url.username),
    password: url.password === "" ? undefined : decode(url.password),
  };
}

/** The target without credentials, for log lines and error messages. */
export function describeRedisTarget(target: RedisTarget): string {
  if (target.kind === "server") return `${hostPort(target)}${target.tls ? " (TLS)" : ""}`;
  return `master "${target.name}" via sentinels ${target.sentinels.map(hostPort).join(",")}`;
}

/** The ioredis connection options (where and who) of a target; {@link createRedisClient} adds the behaviour. */
export function connectionOptions(target: RedisTarget): RedisOptions {
  const auth = {
    ...(target.username === undefined ? {} : { username: target.username }),
    ...(target.password === undefined ? {} : { password: target.password }),
  };
  if (target.kind === "server") {
    return { host: target.host, port: target.port, db: target.db, ...(target.tls ? { tls: {} } : {}), ...auth };
  }
  return {
    sentinels: target.sentinels.map((s) => ({ host: s.host, port: s.port })),
    name: target.name,
    db: target.db,
    ...auth,
  };
}

/**
 * Reads `REDIS_URL`, `REDIS_USERNAME` (the ACL user) and `REDIS_PASSWORD_FILE` (a file whose content,
 * without its final newline, is the password, so that no environment value holds it: Docker and
 * Kubernetes secrets). Returns the target with the credentials in it, or undefined without `REDIS_URL`.
 */
export function redisTargetFromEnv(env: NodeJS.ProcessEnv): RedisTarget | undefined {
  const url = nonEmpty(env["REDIS_URL"]);
  const username = nonEmpty(env["REDIS_USERNAME"]);
  const passwordFile = nonEmpty(env["REDIS_PASSWORD_FILE"]);
  if (url === undefined) {
    if (passwordFile !== undefined) throw new StartFlagError("REDIS_PASSWORD_FILE is set but REDIS_URL is not");
    if (username !== undefined) throw new StartFlagError("REDIS_USERNAME is set but REDIS_URL is not");
    return undefined;
  }
  let target = parseRedisUrl(url);
  if (username !== undefined) {
    if (target.username !== undefined) throw new StartFlagError("REDIS_URL already holds a user name; drop it or REDIS_USERNAME");
    if (!/^[^\s@:/]+$/.test(username)) throw new StartFlagError("REDIS_USERNAME must be one word without spaces, '@', ':' or '/'");
    target = { ...target, username };
  }
  if (passwordFile !== undefined) {
    if (target.password !== undefined) throw new StartFlagError("REDIS_URL already holds a password; drop it or REDIS_PASSWORD_FILE");
    target = { ...target, password: readPasswordFile(passwordFile) };
  }
  return target;
}

/** The URL form of a target, credentials included (what `REDIS_URL` would say to mean it). */
export function formatRedisUrl(target: RedisTarget): string {
  const userinfo =
    target.username === undefined && target.password === undefined
      ? ""
      : `${encodeURIComponent(target.username ?? "")}${target.password === undefined ? "" : `:${encodeURIComponent(target.password)}`}@`;
  const db = target.db === 0 ? "" : `/${target.db}`;
  if (target.kind === "server") return `${target.tls ? "rediss" : "redis"}://${userinfo}${hostPort(target)}${db}`;
  return `redis+sentinel://${userinfo}${target.sentinels.map(hostPort).join(",")}/${encodeURIComponent(target.name)}${db}`;
}

function readPasswordFile(file: string): string {
  let password: string;
  try {
    password = readFileSync(file, "utf8").replace(/\r?\n$/, "");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new StartFlagError(`REDIS_PASSWORD_FILE: cannot read ${file} (${code})`);
  }
  if (password === "") throw new StartFlagError(`REDIS_PASSWORD_FILE: ${file} is empty`);
  return password;
}

function parseUserinfo(userinfo: string | undefined): { username: string | undefined; password: string | undefined } {
  if (userinfo === undefined || userinfo === "") return { username: undefined, password: undefined };
  const colon = userinfo.indexOf(":");
  const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
  const password = colon < 0 ? undefined : userinfo.slice(colon + 1);
  return { username: user === "" ? undefined : decode(user), password: password === undefined || password === "" ? undefined : decode(password) };
}

function parseHostPort(entry: string, defaultPort: number): { host: string; port: number } {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(entry);
  const host = match?.[1] ?? match?.[2];
  const port = match?.[3] === undefined ? defaultPort : Number(match[3]);
  if (host === undefined || port < 1 || port > 65_535 || (match?.[1] !== undefined && isIP(host) !== 6)) {
    throw new StartFlagError(`REDIS_URL: ${JSON.stringify(entry)} is not a host[:port] sentinel address`);
  }
  return { host, port };
}

function parseDb(value: string | undefined): number {
  if (value === undefined) return 0;
  const db = Number(value);
  if (!Number.isInteger(db) || db < 0 || db > 15_999) throw new StartFlagError(`REDIS_URL: database ${JSON.stringify(value)} is not a number`);
  return db;
}

function hostPort(address: { readonly host: string; readonly port: number }): string {
  return `${isIP(address.host) === 6 ? `[${address.host}]` : address.host}:${address.port}`;
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new StartFlagError("REDIS_URL holds a malformed %-escape");
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}
