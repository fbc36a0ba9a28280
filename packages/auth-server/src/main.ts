#!/usr/bin/env node
import { runAuthServer } from "./start.js";

/**
 * `node packages/auth-server/dist/main.js --config FILE [--port N] [--host ADDRESS] [--workers N|auto]`,
 * `--help`, `--version`. A refused start is one fatal log line naming the flag, file and path, and the
 * operator contract's exit code (64 bad flag, 78 bad config, 69 Redis or port unavailable).
 */
await runAuthServer(process.argv.slice(2), process.env);
