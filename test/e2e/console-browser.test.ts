// The console as a person uses it: Debian's Chromium (driven by playwright-core) opens the page of
// `pnpm start`'s console, sees the walkthrough's services and edges, then watches a provoked
// denial burst appear. `GATEHOUSE_WRITE_DOCS=1` saves the screenshots the docs show
// (docs/images/); otherwise they go to a temp folder.
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomBytes, randomUUID } from "node:crypto";
import { createConsole, parseConsoleConfig } from "@gatehouse/console";
import { createLogger } from "@gatehouse/service-kit";
import { startDevStack, type DevStack } from "./helpers/dev-stack.js";
import { PrivateRedis } from "./helpers/private-redis.js";

const CHROMIUM = "/usr/bin/chromium";
const root = resolve(import.meta.dirname, "../..");
const shots = process.env["GATEHOUSE_WRITE_DOCS"] === "1" ? join(root, "docs/images") : mkdtempSync(join(tmpdir(), "gatehouse-console-shots-"));

let stack: DevStack | undefined;
let browser: Browser | undefined;
let page: Page;
let token: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ensure-chromium.sh (apt-get install -y chromium); .ci/run does`);
  stack = await startDevStack();
  const clientSecret = String(stack.credentials("demo-cli")["clientSecret"]);
  const response = await stack.gatewayRequest("/oauth/token", {
    method: "POST",
    headers: { authorization: `Basic ${Buffer.from(`demo-cli:${clientSecret}`).toString("base64")}`, "content-type": "application/x-www-form-urlencoded" },
    body: "grant_type=client_credentials&resource=https%3A%2F%2Forders.internal&scope=orders%3Aread",
  });
  token = (JSON.parse(response.body) as { access_token: string }).access_token;
  // The walkthrough's traffic: demo-cli → orders (and orders → inventory behind it), a request without a token.
  for (let i = 0; i < 3; i++) await stack.gatewayRequest("/api/orders/42", { headers: { authorization: `Bearer ${token}` } });
  await stack.gatewayRequest("/api/orders/42");
  browser = await chromium.launch({ executablePath: CHROMIUM });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
}, 30_000);

describe("the console page", () => {
  it("shows the walkthrough's services and edges with their figures, live", async () => {
    const adminToken = String(stack!.credentials("admin")["token"]);
    await page.goto(`http://127.0.0.1:${String(stack!.ports.CONSOLE_PORT)}/#token=${adminToken}`);
    // The credential moved out of the address bar into the tab's session storage.
    expect(new URL(page.url()).hash).toBe("");
    await page.locator("#connection[data-state=connected]").waitFor({ timeout: 10_000 });
    // Gateways send their per-edge counts every 5 s.
    const edge = page.locator('#edges tr[data-edge="demo-cli→orders-read"]');
    await edge.waitFor({ timeout: 15_000 });
    await page.locator('#edges tr[data-edge="orders→inventory-read"]').waitFor({ timeout: 15_000 });
    expect(await edge.locator("td").allTextContents()).toEqual(["demo-cli", "orders-read", "0.05", "3", "0", "0", "0", expect.stringMatching(/^\d+%$/), expect.stringMatching(/ago$/)]);
    await page.locator('#graph [data-node="service:demo-cli"]').waitFor();
    await page.locator('#graph [data-node="route:inventory-read"]').waitFor();
    await page.locator('#events tr[data-event="gateway.unauthenticated"]').first().waitFor({ timeout: 10_000 });
    expect(await page.locator("#keys tbody tr").count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(shots, "console.png"), fullPage: true });
  });

  it("shows a provoked denial burst within 2 s of the denial that completes it, with its evidence", async () => {
    const denials = page.locator('#anomalies li[data-kind="denial_burst"]');
    expect(await denials.count()).toBe(0);
    // A token with orders:read only may not place orders: twenty 403s in a row.
    for (let i = 0; i < 19; i++) {
      const response = await stack!.gatewayRequest("/api/orders", { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: "{}" });
      expect(response.status).toBe(403);
    }
    await stack!.gatewayRequest("/api/orders", { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: "{}" });
    const completed = Date.now();
    await denials.first().waitFor({ timeout: 2_000 });
    const shownAfterMs = Date.now() - completed;
    expect(shownAfterMs).toBeLessThan(2_000);
    const text = await denials.first().textContent();
    expect(text).toContain("anomaly.denial_burst");
    expect(text).toMatch(/20 denials in \d+ s on demo-cli → orders-write/);
    await denials.first().locator("summary").click();
    expect(await denials.first().locator("pre").textContent()).toContain('"threshold": 20');
    await page.locator('#filter input[name="event"]').fill("gateway.forbidden");
    await page.locator('#filter button[type="submit"]').click();
    await expect.poll(() => page.locator('#events tbody tr:not([data-event="gateway.forbidden"])').count()).toBe(0);
    expect(await page.locator('#events tbody tr[data-event="gateway.forbidden"]').count()).toBeGreaterThanOrEqual(20);
    await page.screenshot({ path: join(shots, "console-anomaly.png"), fullPage: true });
  });
});

describe("when Redis goes away", () => {
  it("the page says so, keeps what it has, and is live again when Redis returns", async () => {
    const redis = await PrivateRedis.start();
    const admin = randomBytes(24).toString("base64url");
    const securityConsole = createConsole(parseConsoleConfig({ stream: `gatehouse-test:browser:${randomUUID()}` }), {
      redisUrl: redis.url,
      logger: createLogger("console", { level: "silent" }),
      env: { GATEHOUSE_ADMIN_TOKEN: admin },
    });
    const own = await browser!.newPage({ viewport: { width: 1440, height: 900 } });
    try {
      const { port } = await securityConsole.listen(0);
      await own.goto(`http://127.0.0.1:${String(port)}/#token=${admin}`);
      await own.locator("#connection[data-state=connected]").waitFor({ timeout: 10_000 });
      await redis.stop();
      const down = own.locator("#connection[data-state=down]");
      await down.waitFor({ timeout: 10_000 });
      expect(await down.textContent()).toContain("Redis down");
      await own.screenshot({ path: join(shots, "console-redis-down.png") });
      await redis.start();
      await own.locator("#connection[data-state=connected]").waitFor({ timeout: 15_000 });
    } finally {
      await own.close();
      await securityConsole.close();
      await redis.stop();
    }
  });
});
