#!/usr/bin/env node
// Demo inventory service: `node examples/inventory/dist/main.js` with
// GATEHOUSE_CREDENTIALS (its credentials file) and PORT (default 7002); GATEHOUSE_TRUST_BUNDLE (the
// Gatehouse CA's PEM file) turns on mutual TLS: HTTPS for the gateway only.
import { readCredentials, runUntilSignal, serviceIdentity } from "@gatehouse/demo-kit";
import { createInventoryService } from "./server.js";

const credentials = readCredentials(process.env["GATEHOUSE_CREDENTIALS"] ?? ".gatehouse/dev/credentials/inventory.json");
const issuer = process.env["GATEHOUSE_ISSUER"] ?? credentials.issuer;
const trustBundle = process.env["GATEHOUSE_TRUST_BUNDLE"];
const identity = serviceIdentity(credentials, issuer, trustBundle);
const service = createInventoryService({
  issuer,
  ...(identity === undefined || trustBundle === undefined ? {} : { identity, trustBundle }),
  audience: credentials.resource,
  reservers: ["orders"],
});
const { port } = await service.listen(Number(process.env["PORT"] ?? 7002), process.env["HOST"] ?? "127.0.0.1");
runUntilSignal(service, `inventory on :${port}`);
