import { Counter, Gauge, collectDefaultMetrics, type Registry } from "prom-client";
import { logStats } from "../log/stdout.js";

/**
 * What every Gatehouse process reports about itself on `/metrics`, under the service's `prefix`: Node's process
 * metrics (resident memory, heap by space, event-loop lag, GC, handles) and the log buffer:
 *
 * - `<prefix>log_lines_dropped_total`: log lines dropped because stdout did not keep up and the buffer was full
 * - `<prefix>log_buffer_bytes`: log bytes waiting to be written
 */
export function registerProcessMetrics(registry: Registry, prefix: string): void {
  collectDefaultMetrics({ register: registry, prefix });
  const registers = [registry];
  new Counter({
    name: `${prefix}log_lines_dropped_total`,
    help: "Log lines dropped because stdout did not keep up and the log buffer (LOG_BUFFER_BYTES) was full.",
    registers,
    collect() {
      this.reset();
      this.inc(logStats().droppedLines);
    },
  });
  new Gauge({
    name: `${prefix}log_buffer_bytes`,
    help: "Log bytes accepted and not yet written to stdout.",
    registers,
    collect() {
      this.set(logStats().bufferedBytes);
    },
  });
}
