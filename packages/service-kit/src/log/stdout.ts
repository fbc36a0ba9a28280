import { fstatSync } from "node:fs";
import { BufferedLogDestination, PIPE_BUF, type LogDestinationStats } from "./buffered-destination.js";

/** Bytes of log lines a process holds while stdout is not keeping up, unless `LOG_BUFFER_BYTES` says otherwise. */
export const DEFAULT_LOG_BUFFER_BYTES = 8 * 1024 * 1024;
/** The smallest `LOG_BUFFER_BYTES` accepted. */
export const MIN_LOG_BUFFER_BYTES = 64 * 1024;
/** How long a stopping process (SIGTERM, a service's `close()`) waits for stdout to take its buffered lines. */
export const LOG_FLUSH_TIMEOUT_MS = 2_000;
/** A quiet process writes its buffered lines at least this often. */
export const LOG_FLUSH_INTERVAL_MS = 100;
/** Bytes per write when stdout is a regular file (a pipe or socket takes {@link PIPE_BUF}, so lines never interleave). */
export const FILE_WRITE_BYTES = 64 * 1024;

let stdout: BufferedLogDestination | undefined;
let rejectedSetting: string | undefined;

/** The process's one stdout destination (every logger of the process shares it, so lines never interleave). */
export function stdoutDestination(): BufferedLogDestination {
  if (stdout === undefined) {
    const { fd, pipeSized } = stdoutFd();
    stdout = new BufferedLogDestination({
      fd,
      maxBufferBytes: logBufferBytes(),
      flushIntervalMs: LOG_FLUSH_INTERVAL_MS,
      maxWriteBytes: pipeSized ? PIPE_BUF : FILE_WRITE_BYTES,
    });
  }
  return stdout;
}

/** A `LOG_BUFFER_BYTES` value that was not used (the default applied), to be logged once. */
export function rejectedLogBufferSetting(): string | undefined {
  const value = rejectedSetting;
  rejectedSetting = undefined;
  return value;
}

/** Dropped and buffered log bytes of this process's stdout (zeros before the first line). */
export function logStats(): LogDestinationStats {
  return stdout?.stats ?? { droppedLines: 0, droppedBytes: 0, bufferedBytes: 0 };
}

/**
 * Writes out every buffered log line; `false` when stdout did not take them within `timeoutMs` (nobody reads it).
 * Call it before `process.exit`, which does not wait for asynchronous writes.
 */
export function flushLogs(timeoutMs: number): Promise<boolean> {
  return stdout?.drainWithin(timeoutMs) ?? Promise.resolve(true);
}

function logBufferBytes(): number {
  const text = process.env["LOG_BUFFER_BYTES"];
  if (text === undefined || text === "") return DEFAULT_LOG_BUFFER_BYTES;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < MIN_LOG_BUFFER_BYTES) {
    rejectedSetting = text;
    return DEFAULT_LOG_BUFFER_BYTES;
  }
  return value;
}

/**
 * Stdout (fd 1) with writes that never block. A pipe or socket nobody reads would otherwise hold a write in libuv's
 * thread pool forever, and Node waits for that thread when the process exits: a clean shutdown would hang. Node's
 * own `process.stdout` switches a pipe or socket descriptor to non-blocking mode when it is first used (touched here); then a full
 * pipe answers EAGAIN and the destination retries later. Files and terminals stay as they are (their writes finish).
 * `pipeSized`: writes stay within `PIPE_BUF` unless stdout is a regular file. Writes above it of processes sharing a
 * pipe or socket (cluster workers) could interleave; a regular file's writes never do (Linux serializes them on the
 * file position, and `O_APPEND` appends each whole). Terminals and other devices keep the small size too.
 */
function stdoutFd(): { fd: number; pipeSized: boolean } {
  try {
    const stat = fstatSync(1);
    if (stat.isFIFO() || stat.isSocket()) process.stdout.uncork();
    return { fd: 1, pipeSized: !stat.isFile() };
  } catch {
    // No stdout descriptor: writes fail and are dropped.
    return { fd: 1, pipeSized: true };
  }
}
