#!/usr/bin/env node
/**
 * Per-stage CPU time of a convert, in process (needs `npm run build`): each stage is its own child
 * process that reads the whole file on the main thread (`worker: false`) and reports
 * `process.cpuUsage()` (user + sys) for the work only (startup and imports excluded):
 *
 *   read      openFeed + iterate the record batches
 *   check     read + processFeed (preset mapping, normalisation, validation, duplicate SKUs)
 *   write     check + the writer and the output file, as `convert` does (valid products only)
 *   thread    write with the reader on its own thread (`worker: true`, as `convert` reads CSV,
 *             NDJSON and XML files of 8-768 MiB): the CPU of the main thread alone (Linux,
 *             /proc/thread-self/stat, 10 ms ticks), i.e. unpacking the reader's batches + check
 *             + write. Not in the default stages.
 *
 * The differences are the cost of each stage: map+validate = check - read, write = write - check.
 * CPU seconds, not wall time: the figure that stays put when other processes share the machine.
 *
 *   node bench/stages.mjs [--products 1000000] [--formats csv,ndjson,json,xml] [--stages read,check,write]
 *                         [--runs 2] [--to csv] [--out /dev/null] [--file FILE] [--seed 42] [--json]
 *                         [--dist DIR[,DIR2...]]
 *
 * `--dist` measures another build's dist/ (e.g. a copy of main's); several, comma-separated, run
 * alternately stage by stage (labelled A, B, ...), so that they share the machine's load.
 *
 * Data files are bench/data/catalog-<products>-s<seed>.<format> (generated when missing, as
 * `npm run bench` does). `--file` measures one given file instead. The CLI's young-generation cap
 * is applied in each child (FEEDPIPE_YOUNG_MB=0 turns it off), so GC costs match a `convert` run.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
let distDir = join(root, "dist");
const dist = (p) => pathToFileURL(join(distDir, "src", p)).href;
const STAGES = ["read", "check", "write", "thread"];
const DEFAULT_STAGES = ["read", "check", "write"];

/** CPU seconds of the calling thread (Linux), NaN elsewhere. */
function threadCpu() {
  try {
    const stat = readFileSync("/proc/thread-self/stat", "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

function parseArgs(argv) {
  const a = {};
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith("--")) continue;
    const key = argv[i].slice(2);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith("--")) a[key] = "true";
    else a[key] = argv[++i];
  }
  return a;
}

/** One stage over one file, in this process; prints one JSON line. */
async function child(stage, file, to, out) {
  const { capYoungGeneration, youngGenerationOption } = await import(dist("cli/young-generation.js"));
  capYoungGeneration(youngGenerationOption(process.env));
  const { openFeed } = await import(dist("formats/index.js"));
  const { processFeed } = await import(dist("jobs/pipeline.js"));
  const { createWriter } = await import(dist("formats/writers/index.js"));
  const { openOutput, writeBatch } = await import(dist("io/output.js"));
  const { PRODUCT_FIELDS } = await import(pathToFileURL(join(distDir, "schemas", "product.js")).href);

  const { PerformanceObserver } = await import("node:perf_hooks");
  // The number of collections (mostly scavenges of the capped young generation) tracks how much
  // a stage allocates; their durations are wall time, so they are not reported.
  let gcs = 0;
  const gcWatch = new PerformanceObserver((list) => {
    gcs += list.getEntries().length;
  });
  gcWatch.observe({ entryTypes: ["gc"] });
  const start = process.cpuUsage();
  const mainStart = threadCpu();
  const wallStart = process.hrtime.bigint();
  const feed = await openFeed(file, { worker: stage === "thread" });
  let records = 0;
  let valid = 0;
  if (stage === "read") {
    for await (const batch of feed.records) records += batch.length;
  } else {
    const processed = await processFeed(feed);
    if (stage === "check") {
      for await (const batch of processed.records) {
        records += batch.length;
        for (const c of batch) if (c.product !== undefined) valid++;
      }
    } else {
      const writer = createWriter(to, { columns: [...PRODUCT_FIELDS], protectFormulas: true });
      const output = await openOutput(out);
      await output.write(writer.header());
      for await (const batch of processed.records) {
        records += batch.length;
        const rows = [];
        for (const c of batch) if (c.product !== undefined) rows.push(c.product);
        if (rows.length > 0) await writeBatch(output, writer, rows);
        valid += rows.length;
      }
      await output.write(writer.footer());
      await output.commit();
    }
  }
  let cpu = process.cpuUsage(start);
  const wall = Number(process.hrtime.bigint() - wallStart) / 1e9;
  const process_ = (cpu.user + cpu.system) / 1e6;
  // The thread stage reports the main thread's CPU (as user; the whole process's is `process`).
  if (stage === "thread") cpu = { user: (threadCpu() - mainStart) * 1e6, system: 0 };
  await new Promise((r) => globalThis.setImmediate(r)); // let the last GC entries arrive
  gcWatch.disconnect();
  process.stdout.write(
    `${JSON.stringify({ stage, records, valid, user: cpu.user / 1e6, system: cpu.system / 1e6, process: process_, wall, gcs })}\n`,
  );
}

function runChild(stage, file, to, out, dist) {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      [fileURLToPath(import.meta.url), "--child", stage, file, to, out, dist],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let text = "";
    p.stdout.on("data", (d) => {
      text += d;
    });
    p.on("error", reject);
    p.on("close", (code) => {
      if (code !== 0) reject(new Error(`stage ${stage} on ${file} exited ${code}`));
      else resolve(JSON.parse(text.trim().split("\n").pop()));
    });
  });
}

const fmt = (x) => x.toFixed(2);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function summary(format, label, byStage, stages, to) {
  const cpu = (s) => (byStage[s] ?? []).map((x) => x.user + x.system);
  const name = label === undefined ? format : `${format} [${label}]`;
  const line = stages.map((s) => `${s} ${cpu(s).map(fmt).join("/")} (median ${fmt(median(cpu(s)))})`);
  let text = `${name}: CPU-s ${line.join(", ")}\n`;
  if (byStage.read && byStage.check) {
    const mv = median(cpu("check")) - median(cpu("read"));
    text += `${name}: map+validate ≈ ${fmt(mv)} CPU-s`;
    if (byStage.write) text += `, write (${to}) ≈ ${fmt(median(cpu("write")) - median(cpu("check")))} CPU-s`;
    const n = byStage.check[0].records;
    text += `; ${Math.round(n / median(cpu(byStage.write ? "write" : "check")))} products per CPU-s\n`;
  }
  return text;
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === "--child") {
    distDir = argv[5];
    return child(argv[1], argv[2], argv[3], argv[4]);
  }
  const a = parseArgs(argv);
  // --dist A,B: several builds, run alternately (same stage, same run), to compare them under the
  // same load. Labelled by their position: the first is "A", the second "B", ...
  const dists = a.dist ? a.dist.split(",") : [distDir];
  const label = (i) => (dists.length > 1 ? String.fromCharCode(65 + i) : undefined);
  const products = Number(a.products ?? 1_000_000);
  const seed = Number(a.seed ?? 42);
  const runs = Number(a.runs ?? 2);
  const to = a.to ?? "csv";
  const out = a.out ?? "/dev/null";
  const stages = (a.stages ?? DEFAULT_STAGES.join(",")).split(",");
  for (const s of stages)
    if (!STAGES.includes(s)) throw new Error(`unknown stage ${s} (${STAGES.join(", ")})`);
  let files;
  if (a.file) files = [[a.file.split(".").pop(), a.file]];
  else {
    const formats = (a.formats ?? "csv,ndjson,json,xml").split(",");
    const dataDir = join(root, "bench", "data");
    await mkdir(dataDir, { recursive: true });
    const { generate } = await import("./generate.mjs");
    files = [];
    for (const format of formats) {
      const file = join(dataDir, `catalog-${products}-s${seed}.${format}`);
      if (!existsSync(file)) await generate({ products, format, out: file, seed });
      files.push([format, file]);
    }
  }
  if (dists.length > 1 && a.json !== "true") {
    process.stdout.write(dists.map((d, i) => `${label(i)} = ${d}\n`).join(""));
  }
  const results = [];
  for (const [format, file] of files) {
    const byDist = dists.map(() => ({}));
    // Alternate stages (and builds) run by run, so a change in the machine's load hits all of them.
    for (let r = 0; r < runs; r++) {
      for (const stage of stages) {
        for (let d = 0; d < dists.length; d++) {
          const res = await runChild(stage, file, to, out, dists[d]);
          (byDist[d][stage] ??= []).push(res);
          results.push({ format, file, dist: dists[d], run: r + 1, ...res });
          if (a.json !== "true") {
            const cpu = res.user + res.system;
            const tag = label(d) === undefined ? "" : ` [${label(d)}]`;
            process.stderr.write(
              `${format}${tag} ${stage.padEnd(5)} run ${r + 1}: ${fmt(cpu)} CPU-s (user ${fmt(res.user)}, sys ${fmt(res.system)}; ${res.gcs} GCs), ${fmt(res.wall)} s wall, ${res.records} records\n`,
            );
          }
        }
      }
    }
    if (a.json !== "true") {
      for (let d = 0; d < dists.length; d++)
        process.stdout.write(summary(format, label(d), byDist[d], stages, to));
    }
  }
  if (a.json === "true") process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

await main();
