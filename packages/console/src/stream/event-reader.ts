import type { Redis } from "ioredis";
import { createRedisClient, type Logger } from "@gatehouse/service-kit";
import { compareStreamIds, parseEntry, type SkipReason, type StreamEvent } from "./parse-entry.js";

export interface EventReaderOptions {
  readonly redisUrl: string;
  readonly stream: string;
  readonly batchSize: number;
  readonly blockMs: number;
  readonly maxEventBytes: number;
  /** Start at the stream's first entry (true) or after its last one (false). */
  readonly history: boolean;
  readonly logger: Logger;
  /** Called with each batch of valid events, in stream order; `live` says whether an id was appended after the reader started. */
  readonly onEvents: (events: readonly StreamEvent[], live: (id: string) => boolean) => void;
  /** Called for every skipped entry. */
  readonly onSkip: (reason: SkipReason, id: string) => void;
  /** Called when the connection to Redis is lost or back. */
  readonly onConnection: (connected: boolean) => void;
}

/**
 * Follows the event stream with `XREAD BLOCK` from a cursor, on a connection of its own (a
 * blocked read holds it). Entries from any number of writers arrive in stream order. When Redis
 * goes away the loop waits and retries, keeping its cursor, so it catches up with what was
 * appended meanwhile; when the stream was recreated (its last id is now below the cursor, e.g. a
 * Redis restarted without persistence) it starts over from the beginning.
 */
export class EventReader {
  readonly #options: EventReaderOptions;
  readonly #redis: Redis;
  #cursor: string | undefined;
  /** The stream's last id when reading began: entries up to it are history, later ones live. */
  #historyEnd = "0-0";
  #connected = false;
  #closed = false;
  #loop: Promise<void> | undefined;
  readonly #positioned: Promise<void>;
  #markPositioned: () => void = () => undefined;

  constructor(options: EventReaderOptions) {
    this.#options = options;
    // The shared client (Sentinel, ACL user, password file, no offline queue); a blocked XREAD may
    // take `blockMs`, so calls get that much more than the usual bound.
    this.#redis = createRedisClient(options.redisUrl, { name: "events-reader", logger: options.logger, lazyConnect: true, commandTimeoutMs: options.blockMs + 2_000 });
    this.#redis.on("close", () => this.#setConnected(false));
    this.#positioned = new Promise((resolve) => {
      this.#markPositioned = resolve;
    });
  }

  /**
   * Resolves true once the reader knows where history ends (its first contact with Redis), or
   * false after `timeoutMs`; entries appended after that moment are live.
   */
  ready(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      this.#positioned.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** Whether the last read from Redis succeeded. */
  get connected(): boolean {
    return this.#connected;
  }

  /** The id of the last entry read (`undefined` before the first read). */
  get cursor(): string | undefined {
    return this.#cursor;
  }

  /** Starts following the stream (returns at once). */
  start(): void {
    this.#loop ??= this.#run();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#redis.disconnect();
    await this.#loop;
  }

  async #run(): Promise<void> {
    this.#redis.connect().catch(() => undefined);
    while (!this.#closed) {
      try {
        if (this.#redis.status !== "ready") {
          await sleep(100);
          continue;
        }
        const cursor = await this.#position();
        const reply = await this.#redis.xread("COUNT", this.#options.batchSize, "BLOCK", this.#options.blockMs, "STREAMS", this.#options.stream, cursor);
        this.#setConnected(true);
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length === 0) continue;
        const events: StreamEvent[] = [];
        for (const [id, fields] of entries) {
          const parsed = parseEntry(id, fields, this.#options.maxEventBytes);
          if (typeof parsed === "string") this.#options.onSkip(parsed, id);
          else events.push(parsed);
        }
        this.#cursor = entries[entries.length - 1]?.[0] ?? cursor;
        if (events.length > 0) this.#options.onEvents(events, this.#live);
      } catch (error) {
        if (this.#isClosed()) break;
        this.#setConnected(false);
        this.#options.logger.debug({ err: { message: error instanceof Error ? error.message : String(error) } }, "event stream read failed; retrying");
        await sleep(250);
      }
    }
  }

  /** The cursor to read from, checked against the stream after every reconnection. */
  async #position(): Promise<string> {
    if (this.#cursor !== undefined && this.#connected) return this.#cursor;
    const last = (await this.#redis.xrevrange(this.#options.stream, "+", "-", "COUNT", 1))[0]?.[0];
    if (this.#cursor === undefined) {
      this.#historyEnd = last ?? "0-0";
      this.#cursor = this.#options.history || last === undefined ? "0-0" : last;
      this.#markPositioned();
    } else if (this.#cursor !== "0-0" && (last === undefined || compareStreamIds(last, this.#cursor) < 0)) {
      this.#options.logger.warn({ stream: this.#options.stream, cursor: this.#cursor }, "the event stream was recreated; reading it from the start");
      this.#cursor = "0-0";
    }
    return this.#cursor;
  }

  readonly #live = (id: string): boolean => compareStreamIds(id, this.#historyEnd) > 0;

  /** Read through a call: `close()` may flip it while a read is awaited. */
  #isClosed(): boolean {
    return this.#closed;
  }

  #setConnected(connected: boolean): void {
    if (this.#connected === connected) return;
    this.#connected = connected;
    this.#options.onConnection(connected);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
