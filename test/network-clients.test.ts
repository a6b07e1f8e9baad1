/**
 * One contract for every network client on the one HTTP path (src/networks/http-client.ts): the
 * PartnerBoost brand, publisher and Amazon clients and the Partnerize client run the same cases
 * against small servers on 127.0.0.1 that answer in each network's envelope:
 *
 * - a transient 5xx is retried; a refusal (4xx, PartnerBoost 1003) and an unknown status are not;
 * - an abort during a stalled response (before the headers, or mid-body) ends with ABORTED, long
 *   before any timeout (the client's timeouts are a minute; only the abort can end the call
 *   within the test's time);
 * - rate-limit answers (429, PartnerBoost 1002) go to the run's rate controller and do not use
 *   the retry budget (one attempt allowed, and the call still succeeds);
 * - a redirect to another host is refused: nothing, and so no credential, reaches that host.
 */
import type { ServerResponse } from "node:http";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { Product } from "../schemas/product.js";
import { RateLimits } from "../src/core/rate-limits.js";
import type { RetryEvent, RetryPolicy } from "../src/core/retry.js";
import { closeHttpAgents } from "../src/io/http.js";
import { answerError, createHttpClient, type HttpAnswer } from "../src/networks/http-client.js";
import { createAmazonClient } from "../src/networks/partnerboost/amazon.js";
import { createBrandClient } from "../src/networks/partnerboost/brand.js";
import { createPublisherClient } from "../src/networks/partnerboost/publisher.js";
import { createPartnerizeClient } from "../src/networks/partnerize/client.js";
import { runCli } from "./helpers/cli.js";
import { caught } from "./helpers/errors.js";
import { fragments, json, type Received, startServer, type TestServer } from "./helpers/servers.js";

const TOKEN = "contract-token-4e5f6a7b8c9d";
const SECRET = "contract-secret-0a1b2c3d4e5f";
const APP_KEY = "contract-app-key-19283746";
const USER_KEY = "contract-user-key-56473829";
const FAST: Partial<RetryPolicy> = { baseDelayMs: 1, maxDelayMs: 2 };
/** Long enough that only an abort can end a stalled call within a test's time. */
const MINUTE = 60_000;

const PRODUCT = {
  sku: "C-1",
  name: "Contract Thing",
  url: "https://shop.example/c1",
  image: "https://shop.example/c1.jpg",
  price: 10,
  currency: "EUR",
} as unknown as Product;

interface ClientOptions {
  retry: Partial<RetryPolicy>;
  onRetry: (event: RetryEvent) => void;
  rates: RateLimits;
  timeoutMs: number;
}

/** What differs between the clients: how to call one, and how its network answers. */
interface ClientCase {
  name: string;
  /** One call of the client against `origin`, with the run's signal. */
  call(origin: string, options: ClientOptions, signal?: AbortSignal): Promise<unknown>;
  ok(res: ServerResponse): void;
  /** A refusal of this request (never retried). */
  refusal(res: ServerResponse): void;
  /** The network's rate-limit answers. */
  rateLimits: ((res: ServerResponse) => void)[];
  /** Does this received request carry the client's credential? */
  hasCredential(req: Received): boolean;
}

const pbOk = (data: unknown) => (res: ServerResponse) =>
  json(res, 200, { status: { code: 0, msg: "ok" }, data });
const pbCode = (code: number, msg: string) => (res: ServerResponse) =>
  json(res, 200, { status: { code, msg } });
const tooMany = (res: ServerResponse) => {
  res.writeHead(429, { "content-type": "application/json", "retry-after": "0.01" });
  res.end(JSON.stringify({ error: { message: "Too many requests", type: "429" } }));
};

const CASES: ClientCase[] = [
  {
    name: "PartnerBoost brand (pushProduct)",
    call: (origin, options, signal) =>
      createBrandClient(
        { brandId: "66303", token: TOKEN, secret: SECRET, apiUrl: `${origin}/api/brand` },
        options,
      ).pushProduct(PRODUCT, { signal }),
    ok: pbOk({}),
    refusal: pbCode(1003, "invalid input: image"),
    rateLimits: [pbCode(1002, "too many requests"), tooMany],
    hasCredential: (req) =>
      req.headers["x-partnerboost-authentication"] !== undefined || req.body.includes(TOKEN),
  },
  {
    name: "PartnerBoost publisher (listPage)",
    call: (origin, options, signal) =>
      createPublisherClient({ token: TOKEN, apiUrl: `${origin}/api.php` }, options).listPage({}, 1, 10, {
        signal,
      }),
    ok: pbOk({ list: [], total: 0 }),
    refusal: (res) => json(res, 400, { status: { code: 1003, msg: "invalid parameter limit" } }),
    rateLimits: [pbCode(1002, "too many requests"), tooMany],
    hasCredential: (req) => req.body.includes(TOKEN) || req.url.includes(TOKEN),
  },
  {
    name: "PartnerBoost Amazon (productsPage)",
    call: (origin, options, signal) =>
      createAmazonClient({ token: TOKEN, apiUrl: `${origin}/api/datafeed` }, options).productsPage(
        {},
        1,
        10,
        { signal },
      ),
    ok: pbOk({ list: [], has_more: false }),
    refusal: pbCode(1004, "too many input"),
    rateLimits: [pbCode(1002, "too many requests"), tooMany],
    hasCredential: (req) => req.body.includes(TOKEN),
  },
  {
    name: "Partnerize (listPublisherFeeds)",
    call: (origin, options, signal) =>
      createPartnerizeClient({
        applicationKey: APP_KEY,
        userApiKey: USER_KEY,
        apiUrl: origin,
        ...options,
      }).listPublisherFeeds("P1", {}, { signal }),
    ok: (res) => json(res, 200, { count: 0, campaigns: [] }),
    refusal: (res) =>
      json(res, 400, { error: { message: "Validation Fail", type: "Validation Fail", fields: ["active"] } }),
    rateLimits: [tooMany],
    hasCredential: (req) => req.headers.authorization !== undefined,
  },
];

/** A server answering from a script (one handler per request), then `fallback`. */
async function scripted(
  script: ((res: ServerResponse) => void)[],
  fallback: (res: ServerResponse) => void,
): Promise<TestServer> {
  return startServer((_req, res) => (script.shift() ?? fallback)(res));
}

const servers: TestServer[] = [];
async function serve(...args: Parameters<typeof scripted>): Promise<TestServer> {
  const s = await scripted(...args);
  servers.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await closeHttpAgents();
});

function setup(retry: Partial<RetryPolicy> = {}) {
  const retries: RetryEvent[] = [];
  const rates = new RateLimits();
  const options: ClientOptions = {
    retry: { ...FAST, ...retry },
    onRetry: (e) => retries.push(e),
    rates,
    timeoutMs: MINUTE,
  };
  return { retries, rates, options };
}

const status =
  (code: number, body = "{}") =>
  (res: ServerResponse) => {
    res.writeHead(code, { "content-type": "application/json" });
    res.end(body);
  };

describe.each(CASES)("$name on the one HTTP path", (c) => {
  it("retries a transient 5xx, then succeeds", async () => {
    const server = await serve([status(503), status(502, "<html>bad gateway</html>")], c.ok);
    const { retries, options } = setup({ attempts: 3 });
    await c.call(server.origin, options);
    expect(server.received).toHaveLength(3);
    expect(retries.map((r) => [r.error.code, r.error.context.status])).toEqual([
      ["HTTP_STATUS", 503],
      ["HTTP_STATUS", 502],
    ]);
  });

  it("gives up on a persistent 5xx after the policy's attempts, with the count", async () => {
    const server = await serve([], status(500));
    const { retries, options } = setup({ attempts: 2 });
    const err = await caught(c.call(server.origin, options));
    expect(err.code).toBe("HTTP_STATUS");
    expect(err.context.attempts).toBe(2);
    expect(server.received).toHaveLength(2);
    expect(retries).toHaveLength(1);
  });

  it("does not retry a refusal (4xx, result code 1003/1004) or an unknown status", async () => {
    const server = await serve([c.refusal, status(404, "not here")], c.ok);
    const { retries, options } = setup({ attempts: 5 });
    const refused = await caught(c.call(server.origin, options));
    expect(refused.code).toBe("NET_BAD_REQUEST");
    expect(server.received).toHaveLength(1);
    const missing = await caught(c.call(server.origin, options));
    expect(["HTTP_STATUS", "NET_API_ERROR"]).toContain(missing.code);
    expect(missing.context.status).toBe(404);
    expect(server.received).toHaveLength(2);
    expect(retries).toEqual([]);
  });

  it("hands rate-limit answers to the run's rate controller, not to the retry budget", async () => {
    const server = await serve([...c.rateLimits, ...c.rateLimits], c.ok);
    const { retries, rates, options } = setup({ attempts: 1 });
    await c.call(server.origin, options);
    const limits = c.rateLimits.length * 2;
    expect(server.received).toHaveLength(limits + 1);
    expect(retries).toEqual([]);
    const [host] = rates.stats();
    expect(host).toMatchObject({ requests: limits + 1, rateLimited: limits, retries: 0 });
  });

  for (const stall of ["before the headers", "in the middle of the body"] as const) {
    it(`ends with ABORTED when the run's signal aborts a response stalled ${stall}`, async () => {
      let arrived!: () => void;
      const received = new Promise<void>((resolve) => (arrived = resolve));
      const server = await serve([], (res) => {
        if (stall === "in the middle of the body") {
          res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
          res.write('{"status": {"code": 0, ');
        }
        arrived(); // and never answers further
      });
      const { options } = setup({ attempts: 3 });
      const run = new AbortController();
      const pending = c.call(server.origin, options, run.signal);
      await received;
      run.abort();
      const err = await caught(pending);
      expect(err.code).toBe("ABORTED");
      expect(server.received).toHaveLength(1);
    });
  }

  for (const code of [302, 307, 308]) {
    it(`refuses a ${code} redirect to another host: nothing (no credential) reaches it`, async () => {
      const other = await serve([], c.ok);
      const first = await serve([], (res) => {
        res.writeHead(code, { location: `${other.origin}/steal` });
        res.end("moved");
      });
      const { retries, options } = setup({ attempts: 3 });
      const err = await caught(c.call(first.origin, options));
      expect(err.code).toBe("NET_REDIRECT_REFUSED");
      expect(first.received).toHaveLength(1);
      expect(c.hasCredential(first.received[0]!)).toBe(true);
      expect(other.received).toEqual([]);
      expect(retries).toEqual([]);
      const shown = err.message + JSON.stringify(err.context);
      for (const s of [TOKEN, SECRET, APP_KEY, USER_KEY])
        for (const f of fragments(s)) expect(shown).not.toContain(f);
    });
  }
});

describe("the HTTP client itself", () => {
  it("does not retry a programmer error thrown while reading an answer", async () => {
    const server = await serve([], (res) => json(res, 200, {}));
    const http = createHttpClient([], { retry: { ...FAST, attempts: 5 } });
    const err = await http
      .request({
        method: "GET",
        url: `${server.origin}/x`,
        headers: {},
        read: (answer) => (answer.json as { missing: { field: string } }).missing.field,
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect(server.received).toHaveLength(1);
    expect(http.requests).toBe(1);
    expect(http.retries).toBe(0);
  });

  it("redacts its secrets from every error, including server text that echoes them", async () => {
    const server = await serve([], (res) => {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(`internal error for token ${TOKEN} and key=${SECRET}`);
    });
    const seen: RetryEvent[] = [];
    const http = createHttpClient([TOKEN, SECRET], {
      retry: { ...FAST, attempts: 2 },
      onRetry: (e) => seen.push(e),
    });
    const read = (answer: HttpAnswer) => {
      if (answer.status >= 300) throw answerError(answer);
      return answer.json;
    };
    const err = await caught(http.request({ method: "GET", url: `${server.origin}/x`, headers: {}, read }));
    expect(err.code).toBe("HTTP_STATUS");
    expect(seen).toHaveLength(1);
    for (const e of [err, seen[0]!.error]) {
      expect(e.message).toContain("internal error for token");
      const shown = e.message + JSON.stringify(e.context) + String(e.stack);
      for (const s of [TOKEN, SECRET]) for (const f of fragments(s)) expect(shown).not.toContain(f);
    }
  });
});

describe("Partnerize takes the run's signal on every call", () => {
  const pz = (origin: string) =>
    createPartnerizeClient({ applicationKey: APP_KEY, userApiKey: USER_KEY, apiUrl: origin, retry: FAST });
  const calls: [string, (c: ReturnType<typeof pz>, signal: AbortSignal) => Promise<unknown>][] = [
    ["listCampaignFeeds", (c, signal) => c.listCampaignFeeds("C1", { signal })],
    [
      "createCampaignFeed",
      (c, signal) => c.createCampaignFeed("C1", { location: "https://shop.example/f.xml" }, { signal }),
    ],
    ["updateCampaignFeed", (c, signal) => c.updateCampaignFeed("C1", "F1", { active: false }, { signal })],
    ["listPublisherFeeds", (c, signal) => c.listPublisherFeeds("P1", {}, { signal })],
  ];

  for (const [name, call] of calls) {
    it(`${name}: a stalled answer ends with ABORTED when the call's signal aborts`, async () => {
      let arrived!: () => void;
      const received = new Promise<void>((resolve) => (arrived = resolve));
      const server = await serve([], () => arrived());
      const run = new AbortController();
      const pending = call(pz(server.origin), run.signal);
      await received;
      run.abort();
      expect((await caught(pending)).code).toBe("ABORTED");
      expect(server.received).toHaveLength(1);
    });
  }

  for (const argv of [
    ["feeds", "partnerize", "--publisher-id", "P1"],
    ["feeds", "partnerize", "--campaign-id", "C1"],
    ["pull", "partnerize", "--publisher-id", "P1", "-o", "-"],
  ]) {
    it(`the CLI's run signal reaches the client: ${argv.join(" ")} stops with ABORTED`, async () => {
      let arrived!: () => void;
      const received = new Promise<void>((resolve) => (arrived = resolve));
      const server = await serve([], () => arrived());
      const run = new AbortController();
      const running = runCli(argv, {
        env: {
          PARTNERIZE_APPLICATION_KEY: APP_KEY,
          PARTNERIZE_USER_API_KEY: USER_KEY,
          PARTNERIZE_API_URL: server.origin,
        },
        signal: run.signal,
      });
      await received;
      run.abort(new Error("interrupted by SIGINT"));
      const r = await running;
      expect(r.err).toContain("[ABORTED]");
      expect(r.code).toBe(2);
    });
  }
});
