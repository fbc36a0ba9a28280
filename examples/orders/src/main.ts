#!/usr/bin/env node
// Demo orders service: `node examples/orders/dist/main.js` with GATEHOUSE_CREDENTIALS (its credentials
// file), GATEWAY_URL (default http://127.0.0.1:8080), INVENTORY_RESOURCE and PORT (default 7001);
// GATEHOUSE_TRUST_BUNDLE (the Gatehouse CA's PEM file) turns on mutual TLS: HTTPS for the gateway only.
import { readCredentials, runUntilSignal, serviceIdentity } from "@gatehouse/demo-kit";
import { createOrdersService } from "./server.js";

const credentials = readCredentials(process.env["GATEHOUSE_CREDENTIALS"] ?? ".gatehouse/dev/credentials/orders.json");
const trustBundle = process.env["GATEHOUSE_TRUST_BUNDLE"];
const identity = serviceIdentity(credentials, credentials.issuer, trustBundle);
const service = createOrdersService({
  credentials,
  ...(identity === undefined || trustBundle === undefined ? {} : { identity, trustBundle }),
  gatewayUrl: process.env["GATEWAY_URL"] ?? "http://127.0.0.1:8080",
  inventoryResource: process.env["INVENTORY_RESOURCE"] ?? "https://inventory.internal",
});
const { port } = await service.listen(Number(process.env["PORT"] ?? 7001), process.env["HOST"] ?? "127.0.0.1");
runUntilSignal(service, `orders on :${port}`);
