#!/usr/bin/env node
/**
 * The heap of a real `feedpipe push` across a long run: does it stay flat (nothing kept per request,
 * e.g. no combined AbortSignal per product) or grow with the products sent?
 *
 * Generates a seeded catalog (bench/generate.mjs), starts the PartnerBoost brand sandbox in this
 * process (no latency, no rate limit) and runs the built CLI as its own process:
 *
 *   feedpipe push catalog.csv --full --concurrency 16
 *
 * with NODE_OPTIONS="--expose-gc --import bench/heap-hook.mjs": once a second the CLI process runs a
 * full GC and records process.memoryUsage(). This process counts the products the sandbox accepted
 * each second; the report gives the CLI's heap after GC when 10%, 50% and 90% of the products had
 * been accepted (plus arrayBuffers, where the duplicate-SKU set keeps its pages, and RSS).
 *
 *   npm run build && node bench/push-heap.mjs [--products 1000000] [--concurrency 16] [--seed 42]
 *
 * The sandbox forgets stored products as it goes (it keeps the count): its memory is this process's,
 * not the measured one's, and a million stored products would only slow the server down.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { clearInterval, setInterval } from "node:timers";
import { fileURLToPath } from "node:url";
import { generate } from "./generate.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist", "src", "cli", "main.js");
const args = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) if (argv[i].startsWith("--")) args[argv[i].slice(2)] = argv[i + 1];
const PRODUCTS = Number(args.products ?? 1_000_000);
const CONCURRENCY = Number(args.concurrency ?? 16);
const SEED = Number(args.seed ?? 42);
const mb = (n) => `${(n / 2 ** 20).toFixed(1)} MB`;

const { startSandbox } = await import(join(root, "dist/src/sandbox/server.js"));
const { partnerboostBrandModule, PARTNERBOOST_SANDBOX_BRAND: brand } = await import(
  join(root, "dist/src/sandbox/partnerboost-brand.js")
);

const dir = await mkdtemp(join(tmpdir(), "feedpipe-push-heap-"));
const catalog = join(dir, "catalog.csv");
const heapFile = join(dir, "heap.json");
process.stderr.write(`generating ${PRODUCTS} products ...\n`);
await generate({ products: PRODUCTS, format: "csv", out: catalog, seed: SEED });

const module = partnerboostBrandModule({ ...brand });
const sandbox = await startSandbox({ port: 0, modules: [module] });
const progress = []; // { at, accepted }
const forget = setInterval(() => {
  progress.push({ at: Date.now(), accepted: module.store.accepted });
  module.store.products.clear();
  module.store.receipts.clear();
}, 250);

const started = Date.now();
const child = spawn(
  process.execPath,
  [
    cli,
    "push",
    catalog,
    "--full",
    "--concurrency",
    String(CONCURRENCY),
    "--state",
    join(dir, "state.db"),
    "--quiet",
    "--json",
  ],
  {
    cwd: root,
    env: {
      ...process.env,
      CI: "true",
      NODE_OPTIONS:
        `${process.env.NODE_OPTIONS ?? ""} --expose-gc --import ${join(root, "bench/heap-hook.mjs")}`.trim(),
      BENCH_HEAP_FILE: heapFile,
      PARTNERBOOST_BRAND_ID: brand.brandId,
      PARTNERBOOST_TOKEN: brand.token,
      PARTNERBOOST_SECRET: brand.secret,
      PARTNERBOOST_BRAND_API_URL: `${sandbox.origin}/api/brand`,
    },
    stdio: ["ignore", "pipe", "pipe"],
  },
);
let out = "";
let err = "";
child.stdout.on("data", (d) => (out += d));
child.stderr.on("data", (d) => (err += d));
const code = await new Promise((r) => child.on("close", r));
const seconds = (Date.now() - started) / 1000;
clearInterval(forget);
progress.push({ at: Date.now(), accepted: module.store.accepted });
await sandbox.close();

try {
  // exit 1 = some records were invalid (the generator makes ~1% bad GTINs): the push still ran.
  if (code !== 0 && code !== 1) throw new Error(`feedpipe push exited ${code}: ${err.slice(0, 2000)}`);
  const summary = JSON.parse(out.slice(out.indexOf("{")));
  const heap = JSON.parse(await readFile(heapFile, "utf8"));
  const accepted = module.store.accepted;
  const at = (fraction) => {
    const p = progress.find((s) => s.accepted >= fraction * accepted) ?? progress.at(-1);
    let best = heap.samples[0];
    for (const s of heap.samples) if (Math.abs(s.at - p.at) < Math.abs(best.at - p.at)) best = s;
    return { fraction, ...best };
  };
  const rows = [0.1, 0.5, 0.9].map(at);
  const peak = heap.samples.reduce((m, s) => Math.max(m, s.heapUsed), 0);
  console.log(
    `push of ${PRODUCTS} generated products (${accepted} accepted by the sandbox, sent ${summary.sent ?? "?"}), ` +
      `concurrency ${CONCURRENCY}, ${seconds.toFixed(0)} s (${Math.round(accepted / seconds)} products/s), ` +
      `${heap.samples.length} samples, GC before each: ${heap.gc}`,
  );
  console.log("progress  heapUsed   arrayBuffers  rss");
  for (const r of rows)
    console.log(
      `${`${Math.round(r.fraction * 100)}%`.padEnd(9)} ${mb(r.heapUsed).padEnd(10)} ${mb(r.arrayBuffers).padEnd(13)} ${mb(r.rss)}`,
    );
  console.log(`peak heapUsed after GC ${mb(peak)}; peak RSS ${mb(heap.maxRSS)}`);
  console.log(
    JSON.stringify({
      products: PRODUCTS,
      accepted,
      concurrency: CONCURRENCY,
      seconds: Math.round(seconds),
      heapMB: Object.fromEntries(
        rows.map((r) => [`${r.fraction * 100}%`, +(r.heapUsed / 2 ** 20).toFixed(1)]),
      ),
      peakHeapMB: +(peak / 2 ** 20).toFixed(1),
      peakRssMB: +(heap.maxRSS / 2 ** 20).toFixed(1),
    }),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
