/** Why a store could not decide, for metrics and logs (envoyproxy/ratelimit-style error classes). */
export type StoreErrorClass = "timeout" | "unavailable" | "script" | "other";

/** Classifies an error thrown by a store; ioredis gives no codes for these, only messages. */
export function classifyStoreError(error: unknown): StoreErrorClass {
  if (!(error instanceof Error)) return "other";
  if (error.message === "Command timed out") return "timeout";
  if (error.name === "ReplyError") return "script";
  const code = (error as NodeJS.ErrnoException).code;
  if (
    error.message.startsWith("Stream isn't writeable") ||
    error.message === "Connection is closed." ||
    error.name === "MaxRetriesPerRequestError" ||
    code === "ECONNREFUSED" ||
    code === "ECONNRESET" ||
    code === "EPIPE"
  ) {
    return "unavailable";
  }
  return "other";
}
