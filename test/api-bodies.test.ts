/**
 * API answers read through src/io/http-body.ts: a compressed answer is decoded, an answer too
 * large for memory (on the wire or once decoded: a gzip bomb) is refused, an answer that trickles
 * in slower than the deadline is a retried NET_TIMEOUT. Hand-made servers on 127.0.0.1.
 */
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { closeHttpAgents, httpRequest } from "../src/io/http.js";
import { API_BODY_MAX_BYTES, readBodyText } from "../src/io/http-body.js";
import { createPublisherClient } from "../src/networks/partnerboost/publisher.js";
import { caught } from "./helpers/errors.js";
import { startServer, type TestServer } from "./helpers/servers.js";

const TOKEN = "api-bodies-token-3e2d1c0b";
const FAST = { attempts: 2, baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 2 };
const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await closeHttpAgents();
});

const PAGE = JSON.stringify({
  status: { code: 0, msg: "success" },
  data: {
    total: "2",
    list: [
      { sku: "Z1", name: "Zipped one" },
      { sku: "Z2", name: "Zipped two" },
    ],
  },
});

async function client(handler: Parameters<typeof startServer>[0], timeoutMs?: number) {
  const server = await startServer(handler);
  servers.push(server);
  return {
    server,
    client: createPublisherClient(
      { token: TOKEN, apiUrl: `${server.origin}/api.php` },
      { retry: FAST, timeoutMs },
    ),
  };
}

describe("API answers with a Content-Encoding", () => {
  it.each([
    ["gzip", gzipSync],
    ["x-gzip", gzipSync],
    ["deflate", deflateSync],
    ["deflate", deflateRawSync],
    ["br", brotliCompressSync],
  ] as const)("%s is decoded", async (encoding, compress) => {
    const { client: c } = await client((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": encoding });
      res.end(compress(Buffer.from(PAGE)));
    });
    const page = await c.listPage({}, 1, 10);
    expect(page.products.map((p) => p.sku)).toEqual(["Z1", "Z2"]);
  });

  it("an encoding feedpipe cannot read is NET_BAD_RESPONSE", async () => {
    const { client: c } = await client((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "zstd" });
      res.end(Buffer.from("\x28\xb5\x2f\xfd garbage"));
    });
    const err = await caught(c.listPage({}, 1, 10));
    expect(err.code).toBe("NET_BAD_RESPONSE");
    expect(err.message).toContain('Content-Encoding feedpipe cannot read ("zstd")');
  });

  it("a gzip body that does not decode is NET_BAD_RESPONSE, not a crash", async () => {
    const { client: c } = await client((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      res.end(gzipSync(Buffer.from(PAGE)).subarray(0, 30));
    });
    const err = await caught(c.listPage({}, 1, 10));
    expect(err.code).toBe("NET_BAD_RESPONSE");
    expect(err.message).toContain("gzip body that does not decode");
  });
});

describe("API answers too large to hold", () => {
  it("a gzip bomb (100 KiB that decode to 128 MiB) is refused, with the limit named", async () => {
    const bomb = gzipSync(Buffer.alloc(2 * API_BODY_MAX_BYTES, 0x20));
    expect(bomb.length).toBeLessThan(1 << 20);
    const { client: c } = await client((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      res.end(bomb);
    });
    const err = await caught(c.listPage({}, 1, 10));
    expect(err.code).toBe("NET_BAD_RESPONSE");
    expect(err.message).toContain("more than 64 MiB");
    expect(err.message).not.toContain(TOKEN);
  });

  it("a plain answer beyond the limit is refused while it streams in", async () => {
    const chunk = Buffer.alloc(1 << 20, 0x20);
    let sent = 0;
    const { client: c } = await client((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const more = () => {
        while (sent < 2 * API_BODY_MAX_BYTES) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", more);
        }
        res.end();
      };
      res.on("error", () => undefined);
      more();
    });
    const err = await caught(c.listPage({}, 1, 10));
    expect(err.code).toBe("NET_BAD_RESPONSE");
    expect(err.message).toContain("more than 64 MiB");
  });
});

describe("an answer that trickles in", () => {
  it("a body slower than twice --timeout in total is NET_TIMEOUT, retried, though no single gap is that long", async () => {
    const { client: c, server } = await client((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write("{");
      const timer = setInterval(() => res.write(" "), 50);
      res.on("close", () => clearInterval(timer));
    }, 200);
    const err = await caught(c.listPage({}, 1, 10));
    expect(err.code).toBe("NET_TIMEOUT");
    expect(err.message).toContain("within 0.4 s");
    expect(server.received).toHaveLength(2); // retried once (attempts: 2)
  });

  it("a body that stalls longer than --timeout fails on the stall (the silence timer is --timeout, not a fixed 60 s)", async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write("{"); // then nothing
    });
    servers.push(server);
    const res = await httpRequest(`${server.origin}/x`, { timeoutMs: 300 });
    // No deadline here: only undici's body timeout (from timeoutMs) can end the read.
    const err = await caught(readBodyText(res, { maxBytes: 1024 }));
    expect(err.code).toBe("HTTP_TIMEOUT");
    expect(err.message).toContain("UND_ERR_BODY_TIMEOUT");
  }, 15_000);
});
