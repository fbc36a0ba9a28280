import { createLogger } from "@gatehouse/service-kit";
import { planStart, serve } from "./start.js";

/**
 * `node packages/auth-server/dist/main.js --config FILE [--port N] [--workers N|auto]`.
 * A bad flag or config stops the start with the message naming the flag, file and path (exit 1).
 */
const logger = createLogger("auth-server");
try {
  await serve(planStart(process.argv.slice(2), process.env), logger);
} catch (error) {
  logger.fatal({ code: (error as { code?: unknown }).code }, error instanceof Error ? error.message : String(error));
  process.exit(1);
}
