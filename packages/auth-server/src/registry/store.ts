import type { ServiceDefinition } from "../config/schema.js";

/** A registry entry with its id. */
export type ServiceRecord = ServiceDefinition & { readonly id: string };

/**
 * Where the service registry lives. The memory store is for development and tests; the Redis store
 * shares the registry between workers and replicas and keeps admin API changes across restarts.
 * Both pass one conformance suite (`test/registry-store.test.ts`).
 *
 * Reads (`get`, `findByResource`, `list`) are served from memory on the token path; the Redis
 * store refreshes its snapshot on every change it is told about (pub/sub) and at least every second.
 */
export interface RegistryStore {
  readonly kind: "memory" | "redis";
  get(id: string): Promise<ServiceRecord | undefined>;
  findByResource(resource: string): Promise<ServiceRecord | undefined>;
  list(): Promise<ServiceRecord[]>;
  /** Adds a service; false when the id is taken (nothing changed). */
  create(record: ServiceRecord): Promise<boolean>;
  /** Replaces a service; false when there is no such id (nothing changed). */
  replace(record: ServiceRecord): Promise<boolean>;
  /**
   * Applies the config file's services: an entry is written when the file's definition differs
   * from the one applied last time, so admin API edits survive restarts with an unchanged file
   * and a changed file wins for the entries it changed.
   */
  seed(records: readonly ServiceRecord[]): Promise<void>;
  /** Whether the backing store answers (for `/readyz`). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
