import sonicBoom from "sonic-boom";

// sonic-boom is CommonJS: its class is a property of the module object (no named export Node's ESM loader can see).
const { SonicBoom } = sonicBoom;
type SonicBoom = InstanceType<typeof SonicBoom>;

/** What a buffered log destination has done so far, for `/metrics` and tests. */
export interface LogDestinationStats {
  /** Lines refused because the buffer was full (the descriptor could not keep up). */
  readonly droppedLines: number;
  /** Bytes of those lines. */
  readonly droppedBytes: number;
  /** Bytes accepted and not yet written to the descriptor. */
  readonly bufferedBytes: number;
}

/** One stretch of drops, reported in one log line once the buffer has drained. */
export interface DropEpisode {
  readonly droppedLines: number;
  readonly droppedBytes: number;
  /** Epoch ms of the first drop. */
  readonly since: number;
}

export interface BufferedDestinationOptions {
  /** The descriptor to write to (1 = stdout). */
  readonly fd: number;
  /** Bytes held at most while the descriptor is busy; a line that would go beyond is dropped and counted. */
  readonly maxBufferBytes: number;
  /** How long a quiet process keeps lines before writing them anyway. */
  readonly flushIntervalMs: number;
  /**
   * Bytes of whole lines per write: {@link PIPE_BUF} (the default) where lines of several processes can share a pipe
   * or socket, more for a regular file, whose writes Linux never interleaves (fewer, larger writes cost less).
   */
  readonly maxWriteBytes?: number;
}

/**
 * Atomic write size of a pipe (POSIX `PIPE_BUF` on Linux): each write carries whole lines and stays at or below it,
 * so lines of several processes sharing one pipe (cluster workers, a container's stdout) never interleave. A single
 * line longer than this is written alone, and only it can be split by the pipe.
 */
export const PIPE_BUF = 4096;
/** Lines are collected until a batch is this close to the write size (or the flush interval passes), then written. */
const BATCH_SLACK_BYTES = 512;

/** SonicBoom's private counters, read to know whether anything is waiting (it exposes no public accessor). */
interface SonicBoomState {
  readonly _len: number;
  readonly _writing: boolean;
  readonly destroyed: boolean;
}

/**
 * Log lines written off the request path: lines are encoded into a batch buffer of whole lines of up to
 * `maxWriteBytes` (one pipe's atomic write size, or 64 KiB for a file) here, and each batch is handed to SonicBoom
 * (`sync: false`, buffer mode), which writes it to the descriptor asynchronously. Batching here rather than in
 * SonicBoom matters: in string mode SonicBoom appends each line to its last chunk and measures that chunk's byte
 * length on every write, which flattens a growing string per line, and converts it again to write it.
 *
 * The buffer is bounded (`maxBufferBytes`, the batch being collected included): when the descriptor cannot keep up (a
 * full pipe nobody reads, a stalled disk), further lines are dropped rather than held without limit, counted in
 * {@link stats}, and each stretch of drops is reported once, in one line, when the buffer has drained
 * ({@link onDropEpisode}). {@link drainWithin} writes out everything before a clean exit; a process that exits on its
 * own also flushes (`beforeExit`, and synchronously on `exit` unless a write is stuck).
 */
export class BufferedLogDestination {
  readonly #boom: SonicBoom;
  readonly #state: SonicBoomState;
  readonly #timer: NodeJS.Timeout;
  readonly #maxBufferBytes: number;
  readonly #maxWrite: number;
  readonly #batchTarget: number;
  /** The batch being collected, encoded: whole lines in `#batch[0, #batchBytes)`, at most `maxWriteBytes`. */
  #batch: Buffer;
  #batchBytes = 0;
  #droppedLines = 0;
  #droppedBytes = 0;
  #exiting = false;
  #episode: { droppedLines: number; droppedBytes: number; since: number } | undefined;
  /** Called once per drop episode, after the buffer has drained; set by the logger that reports it. */
  onDropEpisode: ((episode: DropEpisode) => void) | undefined;

  constructor(options: BufferedDestinationOptions) {
    this.#maxBufferBytes = options.maxBufferBytes;
    this.#maxWrite = Math.max(PIPE_BUF, options.maxWriteBytes ?? PIPE_BUF);
    this.#batchTarget = this.#maxWrite - BATCH_SLACK_BYTES;
    this.#batch = Buffer.allocUnsafe(this.#maxWrite);
    this.#boom = new SonicBoom({
      fd: options.fd,
      sync: false,
      // Batches arrive encoded: SonicBoom neither measures nor converts them again.
      contentMode: "buffer",
      // Every batch handed over is written as soon as the descriptor is free; batches are never merged.
      minLength: 0,
      maxWrite: this.#maxWrite,
      maxLength: options.maxBufferBytes,
      // While running, a full pipe is retried every 100 ms; while exiting, a synchronous write must not wait.
      retryEAGAIN: () => !this.#exiting,
    });
    this.#state = this.#boom as unknown as SonicBoomState;
    // Never reached while write() keeps the bound below; counted all the same should a batch be refused.
    this.#boom.on("drop", (data: Buffer) => this.#dropped(data.toString("utf8").split("\n").length - 1, data.length));
    this.#boom.on("drain", () => this.#drained());
    // A broken pipe or a closed descriptor must not crash the process: lines are dropped from then on.
    this.#boom.on("error", () => undefined);
    this.#timer = setInterval(() => this.#writeWaiting(), options.flushIntervalMs).unref();
    process.on("beforeExit", () => this.#writeWaiting());
    process.on("exit", () => this.#flushSyncAtExit());
  }

  /** pino's destination interface: one serialized line. */
  write(line: string): boolean {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit: within that bound the line is encoded without being measured.
    const most = line.length * 3;
    if (this.#state._len + this.#batchBytes + most > this.#maxBufferBytes || this.#batchBytes + most > this.#maxWrite) {
      const bytes = Buffer.byteLength(line);
      if (this.#state._len + this.#batchBytes + bytes > this.#maxBufferBytes) {
        this.#dropped(1, bytes);
        return false;
      }
      if (this.#batchBytes + bytes > this.#maxWrite) {
        this.#handOver();
        if (bytes > this.#maxWrite) {
          // A line longer than one write goes alone.
          if (!this.#state.destroyed) this.#writeBatch(Buffer.from(line, "utf8"));
          return true;
        }
      }
    }
    this.#batchBytes += this.#batch.write(line, this.#batchBytes, "utf8");
    if (this.#batchBytes >= this.#batchTarget) this.#handOver();
    return true;
  }

  get stats(): LogDestinationStats {
    return { droppedLines: this.#droppedLines, droppedBytes: this.#droppedBytes, bufferedBytes: this.#state._len + this.#batchBytes };
  }

  /**
   * Writes every buffered line, resolving `true` once the buffer is empty, or `false` when `timeoutMs` passed first
   * (the descriptor is not being read).
   */
  async drainWithin(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#state._len + this.#batchBytes > 0) {
      if (Date.now() >= deadline) return false;
      this.#writeWaiting();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return true;
  }

  /** Stops the flush timer (the buffer stays usable; tests create several destinations). */
  stopTimer(): void {
    clearInterval(this.#timer);
  }

  /**
   * Hands the batch being collected to SonicBoom, which writes it at once unless a write is in flight. A full batch
   * keeps its buffer and a new one is allocated; a small one (a quiet process) is copied out, so that the buffered
   * bytes of a stalled descriptor never hold much more memory than they count.
   */
  #handOver(): void {
    if (this.#batchBytes === 0) return;
    let batch: Buffer;
    if (this.#batchBytes >= this.#maxWrite / 2) {
      batch = this.#batch.subarray(0, this.#batchBytes);
      this.#batch = Buffer.allocUnsafe(this.#maxWrite);
    } else {
      batch = Buffer.from(this.#batch.subarray(0, this.#batchBytes));
    }
    this.#batchBytes = 0;
    if (!this.#state.destroyed) this.#writeBatch(batch);
  }

  /** SonicBoom in buffer mode takes buffers (its types name strings only). */
  #writeBatch(batch: Buffer): void {
    (this.#boom.write as unknown as (data: Buffer) => boolean).call(this.#boom, batch);
  }

  #writeWaiting(): void {
    if (this.#batchBytes > 0) this.#handOver();
  }

  #flushSyncAtExit(): void {
    // A write still in flight at exit is stuck on a descriptor nobody reads: writing more would block forever.
    if (this.#state._writing || this.#state.destroyed) return;
    if (this.#batchBytes > 0) this.#handOver();
    if (this.#state._len === 0) return;
    this.#exiting = true;
    try {
      this.#boom.flushSync();
    } catch {
      // The descriptor is gone; nothing more can be written.
    }
  }

  #dropped(lines: number, bytes: number): void {
    this.#droppedLines += lines;
    this.#droppedBytes += bytes;
    this.#episode ??= { droppedLines: 0, droppedBytes: 0, since: Date.now() };
    this.#episode.droppedLines += lines;
    this.#episode.droppedBytes += bytes;
  }

  #drained(): void {
    const episode = this.#episode;
    if (episode === undefined) return;
    this.#episode = undefined;
    this.onDropEpisode?.(episode);
  }
}
