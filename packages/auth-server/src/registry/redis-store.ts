import type { Redis } from "ioredis";
import type { Logger } from "@gatehouse/service-kit";
import { serviceIdSchema, serviceSchema } from "../config/schema.js";
import type { RegistryMac } from "./registry-mac.js";
import type { RegistryStore, ServiceRecord } from "./store.js";

const REPLACE = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PUBLISH', KEYS[3], ARGV[1])
return 1
`;

const CREATE = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('PUBLISH', KEYS[3], ARGV[1])
return 1
`;

const SEED = `
if redis.call('HGET', KEYS[2], ARGV[1]) == ARGV[3] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('PUBLISH', KEYS[3], ARGV[1])
return 1
`;

/**
 * The registry in Redis: one hash of service id → JSON definition sealed with a MAC
 * ({@link RegistryMac}), shared by every worker and replica and surviving restarts. An entry
 * without a valid MAC (written by anyone but an auth server holding the key) is refused and logged
 * as the security event `registry.entry_refused`. Every write is one atomic script that also publishes the change;
 * each store keeps an in-memory snapshot that it reloads on a change message and at least every
 * `refreshMs`, so the token path never waits for Redis to look a service up.
 */
export class RedisRegistryStore implements RegistryStore {
  readonly kind = "redis";
  readonly #redis: Redis;
  readonly #subscriber: Redis;
  readonly #logger: Logger;
  readonly #keys: [services: string, seeds: string, channel: string];
  readonly #refreshMs: number;
  readonly #mac: RegistryMac;
  /** Refused stored values already logged (the snapshot reloads every second: one line per value). */
  readonly #reported = new Set<string>();
  #services = new Map<string, ServiceRecord>();
  #byResource = new Map<string, ServiceRecord>();
  #loadedAt = 0;
  #loading: Promise<void> | undefined;
  #started = false;
  #refreshFailing = false;

  constructor(redis: Redis, prefix: string, logger: Logger, mac: RegistryMac, refreshMs = 1000) {
    this.#mac = mac;
    this.#redis = redis;
    this.#subscriber = redis.duplicate({ lazyConnect: true });
    this.#subscriber.on("error", () => {
      // The main connection's watcher logs outages; the subscriber reconnects and resubscribes by itself.
    });
    this.#logger = logger;
    this.#keys = [`${prefix}registry:services`, `${prefix}registry:seeds`, `${prefix}registry:changed`];
    this.#refreshMs = refreshMs;
  }

  async get(id: string): Promise<ServiceRecord | undefined> {
    await this.#fresh();
    return this.#services.get(id);
  }

  async findByResource(resource: string): Promise<ServiceRecord | undefined> {
    await this.#fresh();
    return this.#byResource.get(resource);
  }

  async list(): Promise<ServiceRecord[]> {
    await this.#fresh();
    return [...this.#services.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  async create(record: ServiceRecord): Promise<boolean> {
    const created = (await this.#redis.eval(CREATE, 3, ...this.#keys, record.id, this.#mac.seal(record.id, JSON.stringify(record)))) === 1;
    if (created) await this.#reload();
    return created;
  }

  async replace(record: ServiceRecord): Promise<boolean> {
    const replaced = (await this.#redis.eval(REPLACE, 3, ...this.#keys, record.id, this.#mac.seal(record.id, JSON.stringify(record)))) === 1;
    if (replaced) await this.#reload();
    return replaced;
  }

  async seed(records: readonly ServiceRecord[]): Promise<void> {
    await this.#start();
    for (const record of records) {
      const json = JSON.stringify(record);
      // The fingerprint names the MAC key too: a new key re-seals the config's entries.
      await this.#redis.eval(SEED, 3, ...this.#keys, record.id, this.#mac.seal(record.id, json), `${this.#mac.keyId}:${json}`);
    }
    await this.#reload();
  }

  async ping(): Promise<boolean> {
    await this.#redis.ping();
    return true;
  }

  async close(): Promise<void> {
    if (this.#started) await this.#subscriber.quit().catch(() => undefined);
    else this.#subscriber.disconnect();
  }

  async #start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await this.#subscribe();
  }

  async #fresh(): Promise<void> {
    await this.#start();
    if (this.#loadedAt === 0) {
      await this.#reload();
    } else if (Date.now() - this.#loadedAt > this.#refreshMs) {
      // Stale-while-revalidate: answer from the snapshot, refresh in the background.
      this.#reload().then(
        () => {
          this.#refreshFailing = false;
        },
        (error: unknown) => {
          if (!this.#refreshFailing) this.#logger.error({ err: error }, "registry refresh from Redis failed; serving the last snapshot");
          this.#refreshFailing = true;
        },
      );
    }
  }

  async #subscribe(): Promise<void> {
    try {
      await this.#subscriber.connect();
      this.#subscriber.on("message", () => {
        this.#reload().catch((error: unknown) => this.#logger.error({ err: error }, "registry reload after a change failed"));
      });
      await this.#subscriber.subscribe(this.#keys[2]);
    } catch (error) {
      this.#logger.error({ err: error }, "registry change notifications unavailable; polling only");
    }
  }

  #reload(): Promise<void> {
    this.#loading ??= this.#load().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  async #load(): Promise<void> {
    const raw = await this.#redis.hgetall(this.#keys[0]);
    const services = new Map<string, ServiceRecord>();
    const byResource = new Map<string, ServiceRecord>();
    for (const [id, stored] of Object.entries(raw)) {
      const json = this.#mac.open(id, stored);
      if (json === undefined) {
        this.#refuse(id, stored);
        continue;
      }
      const record = parseRecord(id, json);
      if (record === undefined) {
        this.#logger.error({ service: id }, "ignoring an invalid registry entry in Redis");
        continue;
      }
      services.set(id, record);
      if (record.resource !== undefined) byResource.set(record.resource, record);
    }
    this.#services = services;
    this.#byResource = byResource;
    this.#loadedAt = Date.now();
  }

  #refuse(id: string, stored: string): void {
    if (this.#reported.has(`${id}\0${stored}`)) return;
    if (this.#reported.size >= 1000) this.#reported.clear();
    this.#reported.add(`${id}\0${stored}`);
    this.#logger.error(
      { security: true, event: "registry.entry_refused", service: id.slice(0, 128), reason: "no valid MAC: not written by this auth server" },
      "refusing a registry entry in Redis that this auth server did not write",
    );
  }
}

function parseRecord(id: string, json: string): ServiceRecord | undefined {
  if (!serviceIdSchema.safeParse(id).success) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { id: _id, ...definition } = value as Record<string, unknown>;
  const parsed = serviceSchema.safeParse(definition);
  return parsed.success ? { id, ...parsed.data } : undefined;
}
