#!/usr/bin/env node
/**
 * Memory and time of the report and the diff at scale (run by hand; dist/ must be built):
 *
 *   validate        feedpipe validate OLD --quiet                 (the plain run)
 *   validate-html   feedpipe validate OLD --quiet --html out.html  (+ streaming aggregates + page)
 *   diff            feedpipe diff OLD NEW -o changes.csv --quiet   (two feeds via temporary SQLite)
 *
 * OLD is the seeded 1M-product CSV of bench/generate.mjs; NEW is the same catalog as NDJSON (another
 * format) with every 100th product gone, every 20th one 10% dearer, every 50th renamed and 10,000
 * new products. Each task runs --runs times (default 2); every figure is printed.
 *
 *   node bench/report.mjs [--products 1000000] [--runs 2] [--skip diff]
 */
import { createWriteStream, existsSync, statSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { once } from "node:events";
import { cpus, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { generate, products } from "./generate.mjs";
import { measure as measureIn } from "./measure.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dataDir = join(root, "bench", "data");
const cli = join(root, "dist", "src", "cli", "main.js");
const argv = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const measure = (args) =>
  measureIn(process.execPath, [cli, ...args], { cwd: root, dataDir, allowExit: [0, 1] });

async function changedCatalog(count, out) {
  const ws = createWriteStream(out);
  let buf = "";
  const put = async (p) => {
    buf += `${JSON.stringify(p)}\n`;
    if (buf.length > 1 << 20) {
      if (!ws.write(buf)) await once(ws, "drain");
      buf = "";
    }
  };
  let i = 0;
  for (const p of products(count, 42)) {
    const n = i++;
    if (n % 100 === 0) continue;
    if (n % 20 === 0) p.price = (Number(p.price) * 1.1).toFixed(2);
    if (n % 50 === 0) p.name = `${p.name} (new edition)`;
    await put(p);
  }
  let k = 0;
  for (const p of products(10_000, 7)) await put({ ...p, sku: `NEW-${String(k++).padStart(6, "0")}` });
  ws.end(buf);
  await once(ws, "finish");
}

async function main() {
  if (!existsSync(cli)) throw new Error("dist/ is missing: run `npm run build` first");
  await mkdir(dataDir, { recursive: true });
  const count = Number(arg("products", "1000000"));
  const runs = Number(arg("runs", "2"));
  const skip = (arg("skip", "") ?? "").split(",");
  const oldFile = join(dataDir, `catalog-${count}-s42.csv`);
  if (!existsSync(oldFile)) {
    process.stderr.write(`generating ${oldFile} ...\n`);
    await generate({ products: count, format: "csv", out: oldFile, seed: 42 });
  }
  const newFile = join(dataDir, `catalog-${count}-s42-changed.ndjson`);
  if (!existsSync(newFile)) {
    process.stderr.write(`generating ${newFile} ...\n`);
    await changedCatalog(count, newFile);
  }
  const html = join(dataDir, `report-${process.pid}.html`);
  const changes = join(dataDir, `changes-${process.pid}.csv`);
  const tasks = [
    ["validate", ["validate", oldFile, "--quiet"]],
    ["validate-html", ["validate", oldFile, "--quiet", "--html", html]],
    ["diff", ["diff", oldFile, newFile, "-o", changes, "--quiet", "--json"]],
  ];
  const rows = [];
  for (let run = 1; run <= runs; run++) {
    for (const [task, args] of tasks) {
      if (skip.includes(task)) continue;
      const r = await measure(args);
      const row = {
        task,
        run,
        products: count,
        seconds: +r.seconds.toFixed(1),
        peakRssMb: +(r.rss / 1024 / 1024).toFixed(1),
      };
      if (task === "validate-html") row.htmlKb = +(statSync(html).size / 1024).toFixed(0);
      if (task === "diff") {
        const d = JSON.parse(r.stdout);
        Object.assign(row, { added: d.added, removed: d.removed, changed: d.changed, changeRows: d.changes });
      }
      rows.push(row);
      process.stderr.write(`${JSON.stringify(row)}\n`);
    }
  }
  await rm(html, { force: true });
  await rm(changes, { force: true });
  const result = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      memGiB: +(totalmem() / 2 ** 30).toFixed(1),
      node: process.version,
    },
    bench: "report",
    files: {
      old: { path: oldFile, bytes: statSync(oldFile).size },
      new: { path: newFile, bytes: statSync(newFile).size },
    },
    rows,
  };
  const dir = join(root, "bench", "results");
  await mkdir(dir, { recursive: true });
  const name = join(dir, `report-${result.date.replace(/[:.]/g, "-")}.json`);
  await writeFile(name, `${JSON.stringify(result, null, 2)}\n`);
  const lines = ["| task | run | seconds | peak RSS MB | notes |", "|---|---:|---:|---:|---|"];
  for (const r of rows) {
    const notes =
      r.task === "diff"
        ? `+${r.added} −${r.removed} ~${r.changed} (${r.changeRows} change rows)`
        : r.htmlKb !== undefined
          ? `page ${r.htmlKb} KB`
          : "";
    lines.push(`| ${r.task} | ${r.run} | ${r.seconds} | ${r.peakRssMb} | ${notes} |`);
  }
  process.stdout.write(`\n${lines.join("\n")}\n\nSaved ${name}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exitCode = 1;
});
