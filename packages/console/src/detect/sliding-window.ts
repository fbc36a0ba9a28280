/** Up to this many stream ids are kept per key as evidence. */
const MAX_EVIDENCE_IDS = 10;

interface Window {
  times: number[];
  ids: string[];
  sources: Set<string>;
}

/**
 * Counts events per key over a sliding time window (event time, not the reader's clock, so a
 * replay after an outage counts the same). Memory is bounded by the threshold per key and by
 * `maxKeys` keys (the stalest keys are forgotten first).
 */
export class SlidingWindowCounter {
  readonly #windowMs: number;
  readonly #keep: number;
  readonly #maxKeys: number;
  readonly #windows = new Map<string, Window>();

  constructor(windowSeconds: number, threshold: number, maxKeys = 10_000) {
    this.#windowMs = windowSeconds * 1000;
    this.#keep = threshold;
    this.#maxKeys = maxKeys;
  }

  /** Adds one event; returns the window's count (capped at the threshold) and its evidence. */
  add(key: string, timeMs: number, id: string, source: string | undefined): { count: number; firstMs: number; ids: string[]; sources: string[] } {
    let window = this.#windows.get(key);
    if (window === undefined) {
      if (this.#windows.size >= this.#maxKeys) {
        const oldest = this.#windows.keys().next().value;
        if (oldest !== undefined) this.#windows.delete(oldest);
      }
      window = { times: [], ids: [], sources: new Set() };
    } else {
      this.#windows.delete(key);
    }
    this.#windows.set(key, window);
    while (window.times.length > 0 && (window.times[0] ?? 0) <= timeMs - this.#windowMs) {
      window.times.shift();
      window.ids.shift();
    }
    if (window.times.length === 0) window.sources.clear();
    window.times.push(timeMs);
    window.ids.push(id);
    if (source !== undefined && window.sources.size < MAX_EVIDENCE_IDS) window.sources.add(source);
    if (window.times.length > this.#keep) {
      window.times.shift();
      window.ids.shift();
    }
    return { count: window.times.length, firstMs: window.times[0] ?? timeMs, ids: window.ids.slice(-MAX_EVIDENCE_IDS), sources: [...window.sources] };
  }

  /** Starts a key over (after its anomaly was raised). */
  reset(key: string): void {
    this.#windows.delete(key);
  }
}
