import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { BufferedLogDestination, type DropEpisode } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "gatehouse-log-"));
const opened: number[] = [];
const destinations: BufferedLogDestination[] = [];

afterAll(() => {
  for (const destination of destinations) destination.stopTimer();
  for (const fd of opened) closeSync(fd);
});

function destination(fd: number, maxBufferBytes: number): BufferedLogDestination {
  const made = new BufferedLogDestination({ fd, maxBufferBytes, flushIntervalMs: 50 });
  destinations.push(made);
  return made;
}

const line = (i: number) => `${JSON.stringify({ i, msg: "request", pad: "x".repeat(200) })}\n`;

describe("BufferedLogDestination", () => {
  it("writes every line, in order, in batches of whole lines, and drains them on request", async () => {
    const file = join(dir, "file.log");
    const fd = openSync(file, "w");
    opened.push(fd);
    const out = destination(fd, 1024 * 1024);
    for (let i = 0; i < 1000; i++) out.write(line(i));
    expect(out.stats.bufferedBytes).toBeGreaterThan(0);
    expect(await out.drainWithin(5_000)).toBe(true);
    const lines = readFileSync(file, "utf8").split("\n").filter((l) => l !== "");
    expect(lines.map((l) => (JSON.parse(l) as { i: number }).i)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(out.stats).toEqual({ droppedLines: 0, droppedBytes: 0, bufferedBytes: 0 });
  });

  it("writes a lone line of a quiet process within the flush interval", async () => {
    const file = join(dir, "quiet.log");
    const fd = openSync(file, "w");
    opened.push(fd);
    const out = destination(fd, 1024 * 1024);
    out.write(line(1));
    const deadline = Date.now() + 2_000;
    while (readFileSync(file, "utf8") === "" && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(readFileSync(file, "utf8")).toBe(line(1));
  });

  it("drops and counts lines beyond its buffer while nobody reads, and reports the episode once drained", async () => {
    // A FIFO nobody reads: the kernel takes 64 KiB, then every write would block (EAGAIN here).
    const fifo = join(dir, "stuck.fifo");
    execFileSync("mkfifo", [fifo]);
    const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
    opened.push(fd);
    const out = destination(fd, 64 * 1024);
    const episodes: DropEpisode[] = [];
    out.onDropEpisode = (episode) => episodes.push(episode);
    const count = 2000;
    // The first burst fills the buffer, which then drains into the pipe (an episode ends); the second finds the
    // pipe full and stays stuck.
    for (let i = 0; i < count; i++) out.write(line(i));
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (let i = count; i < 2 * count; i++) out.write(line(i));
    const { droppedLines, droppedBytes, bufferedBytes } = out.stats;
    expect(bufferedBytes).toBeGreaterThan(0);
    expect(bufferedBytes).toBeLessThanOrEqual(64 * 1024);
    // At most the pipe's 64 KiB and the buffer's twice 64 KiB were taken; the rest was dropped.
    expect(droppedLines).toBeGreaterThan(2 * count - Math.ceil((192 * 1024) / line(0).length) - 1);
    expect(await out.drainWithin(200)).toBe(false);
    const reported = episodes.length;
    expect(reported).toBeLessThanOrEqual(1);

    // Someone starts reading: the buffer drains and the episode is reported, once.
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    opened.push(reader);
    const chunk = Buffer.alloc(65536);
    let received = "";
    const deadline = Date.now() + 10_000;
    while (episodes.length === reported && Date.now() < deadline) {
      try {
        received += chunk.toString("utf8", 0, readSync(reader, chunk));
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    expect(episodes).toHaveLength(reported + 1);
    expect(episodes.reduce((sum, e) => sum + e.droppedLines, 0)).toBe(droppedLines);
    expect(episodes.reduce((sum, e) => sum + e.droppedBytes, 0)).toBe(droppedBytes);
    expect(out.stats).toMatchObject({ droppedLines, droppedBytes });
    // Whatever was written is whole lines.
    for (const text of received.split("\n").slice(0, -1)) expect(() => JSON.parse(text) as unknown).not.toThrow();
  });

  it("writes large batches to a regular file that two processes share, and no line of one splits a line of the other", async () => {
    // Stdout a regular file: batches of up to 64 KiB (a pipe takes 4 KiB, its atomic write size).
    const file = join(dir, "shared.log");
    const fd = openSync(file, "w");
    opened.push(fd);
    const fixture = fileURLToPath(new URL("fixtures/log-writer.ts", import.meta.url));
    const lines = 20_000;
    const writers = [0, 1].map(() => spawn(process.execPath, [fixture], { env: { PATH: process.env["PATH"], LINES: String(lines) }, stdio: ["ignore", fd, "inherit"] }));
    const codes = await Promise.all(writers.map(async (child) => (await once(child, "exit"))[0] as number));
    expect(codes).toEqual([0, 0]);
    const text = readFileSync(file, "utf8");
    const parsed = text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as { writer?: string; i?: number });
    const byWriter = new Map<string, number[]>();
    for (const line of parsed) if (line.writer !== undefined) byWriter.set(line.writer, [...(byWriter.get(line.writer) ?? []), line.i ?? -1]);
    expect([...byWriter.values()].map((seen) => seen.length)).toEqual([lines, lines]);
    for (const seen of byWriter.values()) expect(seen).toEqual(Array.from({ length: lines }, (_, i) => i));
  });
});
