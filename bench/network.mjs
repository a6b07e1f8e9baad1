/**
 * Push and pull throughput against the sandbox with added latency, by concurrency.
 * The sandbox runs in this process (from dist/); each measurement runs the CLI as a whole process.
 *
 *   npm run bench -- --network-only [--latency 50] [--rate-limit 200] [--push-products 2000] [--pull-products 10000]
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { FIELDS, products } from "./generate.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist", "src", "cli", "main.js");

function runCli(args, env) {
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
      if (code !== 0) reject(new Error(`feedpipe ${args.join(" ")} exited ${code}: ${err.slice(0, 1000)}`));
      else resolvePromise({ seconds, out });
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
