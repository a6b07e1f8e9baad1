/**
 * Push and pull throughput against the sandbox with added latency, by concurrency.
 * The sandbox runs in this process (from dist/); each measurement runs the CLI as a whole process.
 *
 *   npm run bench -- --network-only [--latency 50] [--rate-limit 200] [--push-products 2000] [--pull-products 10000]
 *
 * Rate controller figures (issue 12), run directly (after `npm run build`):
 *
 *   node bench/network.mjs --sweep  [--limit 100] [--latency 40] [--products 3000] [--style code|http]
 *       push at concurrency limit×latency … 64: achieved products/s ÷ limit, share of rate-limit answers
 *   node bench/network.mjs --chaos  [--products 5000] [--seeds 1,2,3] [--limit 200]
 *       push under 20% HTTP 500 + 10% resets after processing + a rate limit: failed products, and
 *       whether the store equals a fault-free run's (every valid product stored exactly as sent)
 *   node bench/network.mjs --virtual [--limit 100] [--latency 40] [--products 3000] [--style code|http]
 *                                    [--jitter MS] [--phases 0,250,500,750,900] [--pages-alone]
 *                                    [--server fixed|sliding|bucket|random]
 *       the controller alone on virtual time against a fixed-window server (no machine noise), each
 *       concurrency over several window phases; --pages-alone: page 1 alone first (paging);
 *       --server: a sliding one-second log or a token bucket instead of fixed windows; random:
 *       refusals at random whatever the rate (RANDOM_REFUSALS, default 0.05 of the requests)
 *   node bench/network.mjs --paging [--limit 20] [--pages 200]
 *       publisher pull paging: pages/s ÷ limit by concurrency
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { FIELDS, products } from "./generate.mjs";
import { virtualSweep } from "./rate-virtual.mjs";

export { virtualSweep };

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist", "src", "cli", "main.js");

function runCli(args, env, { allowFail = false } = {}) {
  return new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: root,
      env: { ...process.env, CI: "true", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0 && !allowFail)
        reject(new Error(`feedpipe ${args.join(" ")} exited ${code}: ${err.slice(0, 1000)}`));
      else resolvePromise({ seconds, out, err, code });
    });
  });
}

function csvCell(v) {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export async function networkBench({
  log = () => {},
  latency = 50,
  rateLimit = 200,
  pushProducts = 2000,
  pullProducts = 10000,
} = {}) {
  const dist = (p) => join(root, "dist", "src", p);
  const { startSandbox } = await import(dist("sandbox/server.js"));
  const { partnerboostBrandModule, PARTNERBOOST_SANDBOX_BRAND: brand } = await import(
    dist("sandbox/partnerboost-brand.js")
  );
  const { partnerboostPublisherModule } = await import(dist("sandbox/partnerboost-publisher.js"));
  const publisherToken = "bench-publisher-token-0c1d2e3f";
  const dir = await mkdtemp(join(tmpdir(), "feedpipe-netbench-"));
  const catalog = join(dir, "catalog.csv");
  let text = `${FIELDS.join(",")}\n`;
  const seen = new Set();
  for (const p of products(pushProducts * 2, 7)) {
    if (seen.has(p.sku) || seen.size >= pushProducts) continue;
    seen.add(p.sku);
    p.gtin = ""; // the push bench measures delivery, not rejection
    text += `${FIELDS.map((f) => csvCell(p[f])).join(",")}\n`;
  }
  await writeFile(catalog, text);
  const sandbox = await startSandbox({
    port: 0,
    modules: [
      partnerboostBrandModule({ ...brand }),
      partnerboostPublisherModule({ token: publisherToken, products: pullProducts, seed: 1, flawRate: 0 }),
    ],
    faults: { latencyMs: latency, rateLimit, rateLimitStyle: "http" },
  });
  const env = {
    PARTNERBOOST_BRAND_ID: brand.brandId,
    PARTNERBOOST_TOKEN: brand.token,
    PARTNERBOOST_SECRET: brand.secret,
    PARTNERBOOST_BRAND_API_URL: `${sandbox.origin}/api/brand`,
    PARTNERBOOST_PUBLISHER_TOKEN: publisherToken,
    PARTNERBOOST_PUBLISHER_API_URL: `${sandbox.origin}/api.php`,
  };
  const rows = [];
  try {
    for (const concurrency of [1, 4, 8, 16]) {
      const state = join(dir, `state-${concurrency}.db`);
      const push = await runCli(
        [
          "push",
          catalog,
          "--full",
          "--concurrency",
          String(concurrency),
          "--state",
          state,
          "--quiet",
          "--json",
        ],
        env,
      );
      const pushInfo = lastJson(push.out);
      const sent = pushInfo.sent ?? pushProducts;
      const out = join(dir, `pull-${concurrency}.csv`);
      const pull = await runCli(
        ["pull", "partnerboost", "-o", out, "--concurrency", String(concurrency), "--quiet", "--json"],
        env,
      );
      const pullInfo = lastJson(pull.out);
      const pulled = pullInfo.products ?? pullProducts;
      rows.push({
        concurrency,
        pushSent: sent,
        pushProductsPerSec: Math.round(sent / push.seconds),
        pulled,
        pullProductsPerSec: Math.round(pulled / pull.seconds),
      });
      log(
        `concurrency ${String(concurrency).padStart(2)}: push ${rows.at(-1).pushProductsPerSec} products/s (${sent} sent), pull ${rows.at(-1).pullProductsPerSec} products/s (${pulled})\n`,
      );
    }
  } finally {
    await sandbox.close();
    await rm(dir, { recursive: true, force: true });
  }
  const table = [
    `Sandbox latency ${latency} ms per request, rate limit ${rateLimit} requests/s; push ${pushProducts} products (one request each), pull ${pullProducts} products (100 per page).`,
    "",
    "| concurrency | push products/s | pull products/s |",
    "|---:|---:|---:|",
    ...rows.map((r) => `| ${r.concurrency} | ${r.pushProductsPerSec} | ${r.pullProductsPerSec} |`),
  ].join("\n");
  return { latency, rateLimit, rows, table };
}

function lastJson(text) {
  const t = text.trim();
  try {
    return JSON.parse(t);
  } catch {}
  const lines = t.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      return JSON.parse(lines.slice(i).join("\n"));
    } catch {}
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Rate controller benchmarks (issue 12)

const dist = (p) => join(root, "dist", "src", p);

async function writeCatalog(dir, count, seed = 7) {
  const path = join(dir, `catalog-${count}.csv`);
  let text = `${FIELDS.join(",")}\n`;
  const seen = new Set();
  for (const p of products(count * 2, seed)) {
    if (seen.has(p.sku) || seen.size >= count) continue;
    seen.add(p.sku);
    p.gtin = ""; // delivery, not rejection, is measured
    text += `${FIELDS.map((f) => csvCell(p[f])).join(",")}\n`;
  }
  await writeFile(path, text);
  return path;
}

async function brandSandbox(faults) {
  const { startSandbox } = await import(dist("sandbox/server.js"));
  const { partnerboostBrandModule, PARTNERBOOST_SANDBOX_BRAND: brand } = await import(
    dist("sandbox/partnerboost-brand.js")
  );
  const module = partnerboostBrandModule({ ...brand, retryAfterSeconds: 1 });
  const sandbox = await startSandbox({ port: 0, modules: [module], faults });
  const env = {
    PARTNERBOOST_BRAND_ID: brand.brandId,
    PARTNERBOOST_TOKEN: brand.token,
    PARTNERBOOST_SECRET: brand.secret,
    PARTNERBOOST_BRAND_API_URL: `${sandbox.origin}/api/brand`,
  };
  return { sandbox, module, env };
}

/**
 * Runs that share one sandbox start in a window of their own: the sandbox counts fixed windows of
 * the wall clock, so a run that starts within a second of the last one's final requests would find
 * part of its first window used up by them (another client, to the controller) and learn a limit
 * that low (a 3,000-product sweep learned 60 and 93 for 100 that way).
 */
const freshWindow = () => new Promise((r) => setTimeout(r, 1100));

const pct = (x) => `${(Math.round(x * 1000) / 10).toFixed(1)}%`;

/** One push through the CLI; products/s over the span of its requests (first request → last answer). */
async function measuredPush(catalog, env, dir, concurrency, extra = []) {
  const state = join(dir, `state-${Math.random().toString(36).slice(2)}.db`);
  const run = await runCli(
    [
      "push",
      catalog,
      "--full",
      "--concurrency",
      String(concurrency),
      "--state",
      state,
      "--quiet",
      "--json",
      ...extra,
    ],
    env,
    { allowFail: true },
  );
  const info = lastJson(run.out);
  const host = info.network?.hosts?.[0] ?? {};
  const spanSeconds = host.achievedRate
    ? host.requests && (host.requests - host.rateLimited) / host.achievedRate
    : run.seconds;
  return { run, info, host, spanSeconds };
}

export async function rateSweep({
  log = () => {},
  limit = 100,
  latency = 40,
  count = 3000,
  style = "code",
} = {}) {
  const dir = await mkdtemp(join(tmpdir(), "feedpipe-ratebench-"));
  const catalog = await writeCatalog(dir, count);
  const { sandbox, env } = await brandSandbox({
    latencyMs: latency,
    rateLimit: limit,
    rateLimitStyle: style,
  });
  const rows = [];
  const start = Math.max(1, Math.round((limit * latency) / 1000));
  try {
    for (const concurrency of (process.env.SWEEP
      ? process.env.SWEEP.split(",").map(Number)
      : [...new Set([start, 8, 16, 32, 64])]
    ).filter((c) => c >= start)) {
      await freshWindow();
      const before = { ...sandbox.stats.faults };
      const { run, info, host, spanSeconds } = await measuredPush(catalog, env, dir, concurrency);
      const limited = sandbox.stats.faults.rateLimited - before.rateLimited;
      const row = {
        concurrency,
        sent: info.sent,
        failed: info.failed,
        productsPerSec: info.sent / spanSeconds,
        ratio: info.sent / spanSeconds / limit,
        requests: host.requests,
        rateLimited: limited,
        share: host.requests ? limited / host.requests : 0,
        learnedLimit: host.learnedLimit,
        wallSeconds: run.seconds,
      };
      rows.push(row);
      log(
        `sweep ${style} limit ${limit}/s latency ${latency} ms c=${String(concurrency).padStart(2)}: ` +
          `${row.productsPerSec.toFixed(1)} products/s = ${row.ratio.toFixed(3)} of the limit, ` +
          `${limited} rate-limit answers of ${row.requests} requests (${pct(row.share)}), failed ${row.failed}, ` +
          `learned ~${row.learnedLimit}/s, paced ${host.currentRate}/s, paused ${host.pausedMs} ms, ${row.wallSeconds.toFixed(1)} s wall\n`,
      );
    }
  } finally {
    await sandbox.close();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

export async function chaosBench({
  log = () => {},
  count = 5000,
  seeds = [1, 2, 3],
  limit = 200,
  latency = 10,
} = {}) {
  const dir = await mkdtemp(join(tmpdir(), "feedpipe-chaosbench-"));
  const catalog = await writeCatalog(dir, count, 11);
  const stored = (module) =>
    JSON.stringify(
      [...module.store.products.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, v.product]),
    );
  // The oracle: what a fault-free run stores.
  const clean = await brandSandbox({});
  let expected;
  try {
    await measuredPush(catalog, clean.env, dir, 16);
    expected = stored(clean.module);
  } finally {
    await clean.sandbox.close();
  }
  const rows = [];
  try {
    for (const seed of seeds) {
      const { sandbox, module, env } = await brandSandbox({
        latencyMs: latency,
        rateLimit: limit,
        rateLimitStyle: "code",
        errorRate: 0.2,
        dropAfterRate: 0.1,
        seed,
      });
      try {
        const { run, info, host } = await measuredPush(catalog, env, dir, 16);
        const f = sandbox.stats.faults;
        const row = {
          seed,
          exit: run.code,
          sent: info.sent,
          failed: info.failed,
          finalPass: info.finalPass,
          storedAsSent: stored(module) === expected,
          storedCount: module.store.products.size,
          http500: f.errors,
          resets: f.dropsAfter,
          rateLimited: f.rateLimited,
          requests: host.requests,
          retries: info.network?.retries,
          wallSeconds: run.seconds,
        };
        rows.push(row);
        log(
          `chaos seed ${seed}: exit ${row.exit}, sent ${row.sent}, failed ${row.failed}, final pass ${row.finalPass?.recovered}/${row.finalPass?.tried}, ` +
            `stored exactly as sent: ${row.storedAsSent} (${row.storedCount}), ${row.http500} HTTP 500 + ${row.resets} resets + ` +
            `${row.rateLimited} rate limits in ${row.requests} requests, ${row.wallSeconds.toFixed(1)} s\n`,
        );
      } finally {
        await sandbox.close();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

export async function pagingBench({
  log = () => {},
  limit = 20,
  pages = 200,
  latency = 40,
  style = "code",
} = {}) {
  const { startSandbox } = await import(dist("sandbox/server.js"));
  const { partnerboostPublisherModule } = await import(dist("sandbox/partnerboost-publisher.js"));
  const token = "bench-publisher-token-0c1d2e3f";
  const module = partnerboostPublisherModule({ token, products: pages * 100, seed: 1, flawRate: 0 });
  const sandbox = await startSandbox({
    port: 0,
    modules: [module],
    faults: { latencyMs: latency, rateLimit: limit, rateLimitStyle: style },
  });
  const env = {
    PARTNERBOOST_PUBLISHER_TOKEN: token,
    PARTNERBOOST_PUBLISHER_API_URL: `${sandbox.origin}/api.php`,
  };
  const dir = await mkdtemp(join(tmpdir(), "feedpipe-pagingbench-"));
  const rows = [];
  try {
    for (const concurrency of [4, 16, 64]) {
      await freshWindow();
      const before = sandbox.stats.faults.rateLimited;
      const out = join(dir, `pull-${concurrency}.csv`);
      const run = await runCli(
        ["pull", "partnerboost", "-o", out, "--concurrency", String(concurrency), "--quiet", "--json"],
        env,
        { allowFail: true },
      );
      const info = lastJson(run.out);
      const host = info.network?.hosts?.[0] ?? {};
      const span = host.achievedRate ? (host.requests - host.rateLimited) / host.achievedRate : run.seconds;
      const limited = sandbox.stats.faults.rateLimited - before;
      const row = {
        concurrency,
        exit: run.code,
        pages: info.pages,
        products: info.products,
        pagesPerSec: info.pages / span,
        ratio: info.pages / span / limit,
        requests: host.requests,
        rateLimited: limited,
        share: host.requests ? limited / host.requests : 0,
        wallSeconds: run.seconds,
      };
      rows.push(row);
      log(
        `paging limit ${limit}/s c=${String(concurrency).padStart(2)}: exit ${row.exit}, ${row.pages} pages, ${row.products} products, ` +
          `${row.pagesPerSec.toFixed(2)} pages/s = ${row.ratio.toFixed(3)} of the limit, ${limited} rate-limit answers ` +
          `of ${row.requests} requests (${pct(row.share)}), ${row.wallSeconds.toFixed(1)} s wall\n`,
      );
    }
  } finally {
    await sandbox.close();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
  };
  const log = (t) => process.stderr.write(t);
  const result = {};
  if (args.includes("--sweep"))
    result.sweep = await rateSweep({
      log,
      limit: Number(opt("limit", 100)),
      latency: Number(opt("latency", 40)),
      count: Number(opt("products", 3000)),
      style: opt("style", "code"),
    });
  if (args.includes("--virtual")) {
    const list = (name, dflt) => String(opt(name, dflt)).split(",").map(Number);
    result.virtual = await virtualSweep({
      log,
      limit: Number(opt("limit", 100)),
      latency: Number(opt("latency", 40)),
      count: Number(opt("products", 3000)),
      style: opt("style", "code"),
      jitter: Number(opt("jitter", 0)),
      phases: list("phases", "0,250,500,750,900"),
      paging: args.includes("--pages-alone"),
      server: opt("server", "fixed"),
    });
    for (const row of result.virtual) delete row.runs;
  }
  if (args.includes("--chaos"))
    result.chaos = await chaosBench({
      log,
      count: Number(opt("products", 5000)),
      seeds: String(opt("seeds", "1,2,3")).split(",").map(Number),
      limit: Number(opt("limit", 200)),
    });
  if (args.includes("--paging"))
    result.paging = await pagingBench({
      log,
      limit: Number(opt("limit", 20)),
      pages: Number(opt("pages", 200)),
    });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
