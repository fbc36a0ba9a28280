import { existsSync } from "node:fs";
import { Redis } from "ioredis";

/**
 * The PID of the Redis server at `url` when it runs on this machine (its `INFO server` `process_id`, checked in
 * `/proc`), so that its CPU time can be read around a measurement; `undefined` for a remote or unreachable server.
 */
export async function localRedisPid(url: string): Promise<number | undefined> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2_000, retryStrategy: () => null });
  try {
    await redis.connect();
    const info = await redis.info("server");
    const pid = Number(/^process_id:(\d+)/m.exec(info)?.[1]);
    return Number.isInteger(pid) && pid > 0 && existsSync(`/proc/${String(pid)}/stat`) ? pid : undefined;
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}
