import type { RegistryStore, ServiceRecord } from "./store.js";

/** The in-process registry store: one process only, lost on restart (development and tests). */
export class MemoryRegistryStore implements RegistryStore {
  readonly kind = "memory";
  readonly #services = new Map<string, ServiceRecord>();
  readonly #byResource = new Map<string, string>();
  readonly #seeds = new Map<string, string>();

  get(id: string): Promise<ServiceRecord | undefined> {
    return Promise.resolve(this.#services.get(id));
  }

  findByResource(resource: string): Promise<ServiceRecord | undefined> {
    const id = this.#byResource.get(resource);
    return Promise.resolve(id === undefined ? undefined : this.#services.get(id));
  }

  list(): Promise<ServiceRecord[]> {
    return Promise.resolve([...this.#services.values()].sort((a, b) => a.id.localeCompare(b.id)));
  }

  create(record: ServiceRecord): Promise<boolean> {
    if (this.#services.has(record.id)) return Promise.resolve(false);
    this.#write(record);
    return Promise.resolve(true);
  }

  replace(record: ServiceRecord): Promise<boolean> {
    if (!this.#services.has(record.id)) return Promise.resolve(false);
    this.#write(record);
    return Promise.resolve(true);
  }

  seed(records: readonly ServiceRecord[]): Promise<void> {
    for (const record of records) {
      const fingerprint = JSON.stringify(record);
      if (this.#seeds.get(record.id) !== fingerprint) {
        this.#write(record);
        this.#seeds.set(record.id, fingerprint);
      }
    }
    return Promise.resolve();
  }

  ping(): Promise<boolean> {
    return Promise.resolve(true);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #write(record: ServiceRecord): void {
    const previous = this.#services.get(record.id);
    if (previous?.resource !== undefined) this.#byResource.delete(previous.resource);
    this.#services.set(record.id, record);
    if (record.resource !== undefined) this.#byResource.set(record.resource, record.id);
  }
}
