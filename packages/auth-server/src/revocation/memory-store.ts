import { entryKey, isActive, type FeedRecord, type RevocationRecord } from "./entry.js";
import { compareIds, FEED_START, type RevocationStore } from "./store.js";

/** Revocations in this process only (development and tests): lost on restart, not shared. */
export class MemoryRevocationStore implements RevocationStore {
  readonly kind = "memory";
  readonly #active = new Map<string, RevocationRecord>();
  #feed: FeedRecord[] = [];
  #lastMs = 0;
  #seq = 0;
  readonly #listeners = new Set<(record: FeedRecord) => void>();

  add(record: RevocationRecord, retentionSeconds: number): Promise<FeedRecord> {
    const now = Date.now();
    if (now > this.#lastMs) {
      this.#lastMs = now;
      this.#seq = 0;
    } else {
      this.#seq += 1;
    }
    const added: FeedRecord = { ...record, id: `${this.#lastMs}-${this.#seq}` };
    this.#active.set(entryKey(record.revocation), record);
    this.#feed = this.#feed.filter((r) => Number(r.id.split("-")[0]) >= now - retentionSeconds * 1000);
    this.#feed.push(added);
    for (const listener of this.#listeners) listener(added);
    return Promise.resolve(added);
  }

  snapshot(nowSec: number): Promise<{ id: string; records: RevocationRecord[] }> {
    for (const [key, record] of this.#active) if (!isActive(record.revocation, nowSec)) this.#active.delete(key);
    const id = this.#feed.at(-1)?.id ?? (this.#lastMs === 0 ? FEED_START : `${this.#lastMs}-${this.#seq}`);
    return Promise.resolve({ id, records: [...this.#active.values()] });
  }

  after(id: string): Promise<FeedRecord[] | undefined> {
    const first = this.#feed[0];
    const last = this.#feed.at(-1);
    if (id === FEED_START && this.#lastMs === 0) return Promise.resolve([]);
    if (first === undefined || last === undefined) return Promise.resolve(undefined);
    const fromFirst = compareIds(id, first.id);
    const toLast = compareIds(id, last.id);
    if (fromFirst === undefined || toLast === undefined || fromFirst < 0 || toLast > 0) return Promise.resolve(undefined);
    return Promise.resolve(this.#feed.filter((r) => (compareIds(r.id, id) ?? 0) > 0));
  }

  subscribe(listener: (record: FeedRecord) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): Promise<void> {
    this.#listeners.clear();
    return Promise.resolve();
  }
}
