import { afterEach, describe, expect, it } from "vitest";
import { FeedpipeError, type NetworkError } from "../src/core/errors.js";
import { RateLimits } from "../src/core/rate-limits.js";
import type { RetryEvent } from "../src/core/retry.js";
import { closeHttpAgents } from "../src/io/http.js";
import { authHash } from "../src/networks/partnerboost/auth.js";
import { createBrandClient, describeRequest } from "../src/networks/partnerboost/brand.js";
import { type BrandSandbox, CREDS, FAST_RETRY, product, startBrandSandbox } from "./fixtures/push/helpers.js";
import { StepClock } from "./helpers/clock.js";
import { holdRequests } from "./helpers/sandbox-hooks.js";

let sb: BrandSandbox | undefined;
const messages: string[] = [];

afterEach(async () => {
  await sb?.server.close();
  sb = undefined;
  await closeHttpAgents();
  // No secret ever appears in an error message.
  for (const m of messages) {
    expect(m).not.toContain(CREDS.token);
    expect(m).not.toContain(CREDS.secret);
  }
  messages.length = 0;
});

async function failure(p: Promise<unknown>): Promise<NetworkError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(FeedpipeError);
    messages.push((err as Error).message, JSON.stringify((err as FeedpipeError).context));
    return err as NetworkError;
  }
  throw new Error("expected the call to fail");
}

function client(
  s: BrandSandbox,
  over: Parameters<typeof createBrandClient>[0] extends infer C ? Partial<C> : never = {},
  retries: RetryEvent[] = [],
) {
  return createBrandClient(
    { ...s.config, ...over },
    { retry: FAST_RETRY, onRetry: (e) => retries.push(e), timeoutMs: 2000 },
  );
}

describe("PartnerBoost brand client against the sandbox", () => {
  it("sends one product per request: fields at the top level, auth headers from the secret", async () => {
    sb = await startBrandSandbox();
    const p = product(1, { description: "A thing", old_price: 20, gtin: "4006381333931" });
    const data = await client(sb).pushProduct(p);
    expect(data).toEqual({ sku: "SKU-0001", status: "created" });
    const [req] = sb.brand.requests;
    expect(req).toBeDefined();
    expect(req!.method).toBe("POST");
    expect(req!.headers["content-type"]).toBe("application/json");
    const date = req!.headers["x-partnerboost-date"]!;
    expect(date).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    expect(req!.headers["x-partnerboost-authentication"]).toBe(
      authHash(CREDS.token, "datafeed/new", date, CREDS.secret),
    );
    const body = JSON.parse(req!.body);
    expect(body).toEqual({
      bid: CREDS.brandId,
      token: CREDS.token,
      action: "datafeed/new",
      version: "1.0",
      sku: "SKU-0001",
      name: "Product 1",
      url: "https://shop.example/p/SKU-0001",
      image: "https://shop.example/img/SKU-0001.jpg",
      price: 11,
      currency: "USD",
      brand: "Acme",
      description: "A thing",
      old_price: 20,
      gtin: "4006381333931",
    });
    expect(typeof body.price).toBe("number");
    expect(body).not.toHaveProperty("secret");
    expect(req!.body).not.toContain(CREDS.secret);
    expect(sb.brand.store.products.get("SKU-0001")?.product.price).toBe(11);
    // Upsert: same SKU again is still one product; a change updates it.
    await client(sb).pushProduct(p);
    await client(sb).pushProduct({ ...p, price: 99 });
    expect(sb.brand.store.products.size).toBe(1);
    expect(sb.brand.store.products.get("SKU-0001")?.product.price).toBe(99);
    expect(sb.brand.store.receipts.get("SKU-0001")).toBe(3);
  });

  it("registers fetch settings with the setting action (configurable)", async () => {
    sb = await startBrandSandbox({ settingAction: "feed/setting" });
    const c = client(sb, { settingAction: "feed/setting" });
    await c.setFetchSettings({ fetch_url: "https://shop.example/feed.csv", fetch_period: "DAILY" });
    expect(sb.brand.store.settings).toMatchObject({
      fetch_url: "https://shop.example/feed.csv",
      fetch_period: "DAILY",
    });
    const body = JSON.parse(sb.brand.requests[0]!.body);
    expect(body).toMatchObject({ action: "feed/setting", bid: CREDS.brandId, version: "1.0" });
    const bad = await failure(c.setFetchSettings({ fetch_url: "ftp://x/feed.csv", fetch_period: "DAILY" }));
    expect(bad.code).toBe("NET_BAD_REQUEST");
    expect(bad.message).toContain("fetch_url");
    // The default action is unknown to this sandbox: a 1003 naming the action.
    const other = await failure(
      client(sb).setFetchSettings({ fetch_url: "https://x.example/f", fetch_period: "NEVER" }),
    );
    expect(other.code).toBe("NET_BAD_REQUEST");
    expect(other.message).toContain("Unknown action");
  });

  it("stops on auth failures without retrying: bad token, bad secret, unknown brand, stale date, HTTP 401", async () => {
    sb = await startBrandSandbox();
    const retries: RetryEvent[] = [];
    const token = await failure(client(sb, { token: "0".repeat(32) }, retries).pushProduct(product(1)));
    expect(token.code).toBe("NET_AUTH_FAILED");
    expect(token.message).toContain("1001");
    const secret = await failure(
      client(sb, { secret: "wrong-secret-value" }, retries).pushProduct(product(1)),
    );
    expect(secret.code).toBe("NET_AUTH_FAILED");
    const brand = await failure(client(sb, { brandId: "999" }, retries).pushProduct(product(1)));
    expect(brand.code).toBe("NET_AUTH_FAILED");
    expect(brand.message).toContain("1000");
    const stale = createBrandClient(sb.config, {
      retry: FAST_RETRY,
      now: () => new Date(Date.now() - 3600_000),
    });
    const old = await failure(stale.pushProduct(product(1)));
    expect(old.code).toBe("NET_AUTH_FAILED");
    expect(old.message).toMatch(/minutes from server time/);
    expect(retries).toHaveLength(0);
    expect(sb.brand.requests).toHaveLength(4);
    expect(sb.brand.store.products.size).toBe(0);
    await sb.server.close();

    sb = await startBrandSandbox({ authErrorStatus: 401 });
    const http = await failure(client(sb, { token: "0".repeat(32) }, retries).pushProduct(product(1)));
    expect(http.code).toBe("NET_AUTH_FAILED");
    expect(http.context.status).toBe(401);
    expect(retries).toHaveLength(0);
  });

  it("rate limits (code 1002, HTTP 429 + Retry-After) wait in the run's controller, not as retries", async () => {
    sb = await startBrandSandbox();
    const retries: RetryEvent[] = [];
    // The controller waits on virtual time (it moves only while no request is in flight).
    const clock = new StepClock();
    const rates = new RateLimits({ clock });
    clock.busy = () => rates.for(sb!.url).inFlight;
    sb.script.push({ kind: "code", code: 1002 }, { kind: "status", status: 429, retryAfter: "0.03" });
    const c = createBrandClient(sb.config, {
      retry: { ...FAST_RETRY, attempts: 1 },
      onRetry: (e) => retries.push(e),
      timeoutMs: 2000,
      rates,
    });
    await c.pushProduct(product(1));
    expect(retries).toEqual([]);
    const [host] = rates.stats();
    expect(host).toMatchObject({ requests: 3, rateLimited: 2, retries: 0 });
    // 50 ms after the 1002 (no Retry-After), then the 30 ms the 429 asked for.
    expect(host!.pausedMs).toBeGreaterThanOrEqual(80);
    expect(clock.now()).toBeGreaterThanOrEqual(80);
    expect(sb.brand.store.receipts.get("SKU-0001")).toBe(1);
  });

  it("retries 5xx, dropped connections and unreadable answers are reported", async () => {
    sb = await startBrandSandbox();
    const retries: RetryEvent[] = [];
    sb.script.push({ kind: "status", status: 500 }, { kind: "status", status: 503 }, { kind: "drop" });
    await client(sb, {}, retries).pushProduct(product(1));
    expect(retries.map((r) => r.error.code)).toEqual(["HTTP_STATUS", "HTTP_STATUS", "HTTP_CONNECTION"]);
    expect(sb.brand.store.receipts.get("SKU-0001")).toBe(1);

    // Processed, then the connection dropped: the retry lands again (the store still holds it once).
    sb.script.push({ kind: "drop-after" });
    await client(sb).pushProduct(product(2));
    expect(sb.brand.store.receipts.get("SKU-0002")).toBe(2);
    expect(sb.brand.store.products.size).toBe(2);

    sb.script.push({ kind: "html" });
    const html = await failure(client(sb).pushProduct(product(3)));
    expect(html.code).toBe("NET_BAD_RESPONSE");
  });

  it("gives up after the policy's attempts with the last error and the attempt count", async () => {
    sb = await startBrandSandbox();
    sb.brand.failSku("SKU-0007");
    const retries: RetryEvent[] = [];
    const c = createBrandClient(sb.config, {
      retry: { ...FAST_RETRY, attempts: 3 },
      onRetry: (e) => retries.push(e),
    });
    const err = await failure(c.pushProduct(product(7)));
    expect(err.code).toBe("HTTP_STATUS");
    expect(err.context.status).toBe(500);
    expect(err.context.attempts).toBe(3);
    expect(retries).toHaveLength(2);
    expect(sb.brand.store.products.size).toBe(0);
  });

  it("refuses products the API would not accept with NET_BAD_REQUEST naming the field (not retried)", async () => {
    sb = await startBrandSandbox();
    const retries: RetryEvent[] = [];
    const noImage = { ...product(1), image: "" };
    const e1 = await failure(client(sb, {}, retries).pushProduct(noImage));
    expect(e1.code).toBe("NET_BAD_REQUEST");
    expect(e1.message).toContain("image");
    const e2 = await failure(client(sb, {}, retries).pushProduct({ ...product(2), currency: "usd" }));
    expect(e2.message).toContain("currency");
    const e3 = await failure(client(sb, {}, retries).pushProduct({ ...product(3), sku: "X".repeat(101) }));
    expect(e3.message).toContain("1005");
    expect(retries).toHaveLength(0);
  });

  it("maps a wrong endpoint to HTTP_STATUS 404, an abort to ABORTED, and checks its config", async () => {
    sb = await startBrandSandbox();
    const wrong = await failure(
      client(sb, { apiUrl: `${sb.server.origin}/api/nope` }).pushProduct(product(1)),
    );
    expect(wrong.code).toBe("HTTP_STATUS");
    expect(wrong.context.status).toBe(404);

    // The request reaches the server, which holds it; the caller aborts while it waits.
    const ac = new AbortController();
    const held = holdRequests(sb.brand);
    const pending = client(sb).pushProduct(product(1), { signal: ac.signal });
    await held.arrived(1);
    ac.abort();
    expect((await failure(pending)).code).toBe("ABORTED");
    held.open();

    expect(() => createBrandClient({ ...sb!.config, secret: "" })).toThrow(/secret/);
    expect(() => createBrandClient({ ...sb!.config, apiUrl: "app.partnerboost.com" })).toThrow(/absolute/);
  });

  it("never quotes this request's signature when a server echoes it in an error", async () => {
    const { createServer } = await import("node:http");
    const seen: string[] = [];
    const server = createServer((req, res) => {
      const hash = String(req.headers["x-partnerboost-authentication"]);
      seen.push(hash);
      req.resume();
      req.on("end", () =>
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ status: { code: 1001, msg: `invalid token: hash ${hash} does not match` } })),
      );
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = (server.address() as { port: number }).port;
      const c = createBrandClient(
        {
          brandId: "7001",
          token: CREDS.token,
          secret: CREDS.secret,
          apiUrl: `http://127.0.0.1:${port}/api/brand`,
        },
        { retry: FAST_RETRY, timeoutMs: 2000 },
      );
      const err = await failure(c.pushProduct(product(1)));
      expect(err.code).toBe("NET_AUTH_FAILED");
      expect(seen[0]).toMatch(/^[0-9a-f]{64}$/);
      expect(err.message).toContain("invalid token: hash");
      expect(err.message).not.toContain(seen[0]!);
      expect(JSON.stringify(err.context)).not.toContain(seen[0]!);
    } finally {
      server.close();
    }
  });

  it("describes a dry-run request without the token or the hash", () => {
    const d = describeRequest(
      { brandId: "66303", apiUrl: "https://app.partnerboost.com/api/brand" },
      "datafeed/new",
      {
        sku: "A",
      },
    );
    expect(d.body).toEqual({
      bid: "66303",
      token: "REDACTED",
      action: "datafeed/new",
      version: "1.0",
      sku: "A",
    });
    expect(d.headers["x-partnerboost-authentication"]).toBe("REDACTED");
  });
});
