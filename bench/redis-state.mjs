#!/usr/bin/env node
// Bytes per SKU of the Redis sync state: confirm N SKUs of one brand through the Redis driver
// (16-byte digest + price text per SKU, one hash per endpoint + brand), then read MEMORY USAGE of
// that hash and the change of INFO memory's used_memory. Starts its own redis-server (no
// persistence, a free loopback port) and stops it afterwards. Needs `npm run build`.
//   node bench/redis-state.mjs [N=100000] [SKU_PREFIX=SKU-]
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { Redis } from "ioredis";
import { RedisBackend } from "../dist/src/sync/redis.js";
import { productHash } from "../dist/src/sync/state.js";

const n = Number(process.argv[2] ?? 100_000);
const skuPrefix = process.argv[3] ?? "SKU-";
const port = await new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const server = spawn(
  "redis-server",
  ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
  {
    stdio: "ignore",
  },
);
const client = new Redis({ port, host: "127.0.0.1", lazyConnect: true });
client.on("error", () => undefined);
for (let i = 0; ; i++) {
  try {
    await client.connect();
    break;
  } catch {
    client.disconnect();
    if (i > 100) throw new Error("redis-server did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
}
const memory = async () => Number(/used_memory:(\d+)/.exec(await client.info("memory"))[1]);
const before = await memory();
const backend = new RedisBackend(`redis://127.0.0.1:${port}`);
const state = await backend.openState({ endpoint: "https://app.partnerboost.com/api", flushEvery: 1000 });
const t0 = performance.now();
for (let i = 0; i < n; i++) {
  const sku = `${skuPrefix}${String(i).padStart(7, "0")}`;
  await state.confirm("7001", sku, productHash({ sku, price: i }), undefined, `${(i % 1000) + 0.99} EUR`);
}
await state.close();
const ms = performance.now() - t0;
const key = "feedpipe:sku:https://app.partnerboost.com/api|7001";
const usage = await client.memory("USAGE", key, "SAMPLES", 0);
const after = await memory();
const encoding = await client.object("ENCODING", key);
await backend.close();
const result = {
  skus: n,
  skuLength: `${skuPrefix}0000000`.length,
  encoding,
  memoryUsageBytes: usage,
  bytesPerSkuMemoryUsage: Math.round((usage / n) * 10) / 10,
  bytesPerSkuUsedMemory: Math.round(((after - before) / n) * 10) / 10,
  confirmsPerSecond: Math.round(n / (ms / 1000)),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
client.disconnect();
server.kill("SIGTERM");
