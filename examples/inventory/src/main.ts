#!/usr/bin/env node
// Demo inventory service: `node examples/inventory/dist/main.js` with
// GATEHOUSE_CREDENTIALS (its credentials file) and PORT (default 7002).
import { readCredentials, runUntilSignal } from "@gatehouse/demo-kit";
import { createInventoryService } from "./server.js";

const credentials = readCredentials(process.env["GATEHOUSE_CREDENTIALS"] ?? ".gatehouse/dev/credentials/inventory.json");
const service = createInventoryService({
  issuer: process.env["GATEHOUSE_ISSUER"] ?? credentials.issuer,
  audience: credentials.resource,
  reservers: ["orders"],
});
const { port } = await service.listen(Number(process.env["PORT"] ?? 7002), process.env["HOST"] ?? "127.0.0.1");
runUntilSignal(service, `inventory on :${port}`);
