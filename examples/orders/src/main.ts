#!/usr/bin/env node
// Demo orders service: `node examples/orders/dist/main.js` with GATEHOUSE_CREDENTIALS (its credentials
// file), GATEWAY_URL (default http://127.0.0.1:8080), INVENTORY_RESOURCE and PORT (default 7001).
import { readCredentials, runUntilSignal } from "@gatehouse/demo-kit";
import { createOrdersService } from "./server.js";

const credentials = readCredentials(process.env["GATEHOUSE_CREDENTIALS"] ?? ".gatehouse/dev/credentials/orders.json");
const service = createOrdersService({
  credentials,
  gatewayUrl: process.env["GATEWAY_URL"] ?? "http://127.0.0.1:8080",
  inventoryResource: process.env["INVENTORY_RESOURCE"] ?? "https://inventory.internal",
});
const { port } = await service.listen(Number(process.env["PORT"] ?? 7001), process.env["HOST"] ?? "127.0.0.1");
runUntilSignal(service, `orders on :${port}`);
