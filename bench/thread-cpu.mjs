#!/usr/bin/env node
/**
 * `feedpipe convert FILE -o out.csv` with the reader in-process (--read-thread off) and on its
 * thread (--read-thread on), several runs each, alternating: wall seconds, CPU seconds of the whole
 * process, of the main thread, of the reader thread (see ./thread-cpu-hook.mjs; the busiest
 * non-main thread, Linux only) and of the other threads together (`rest`: GC helpers, libuv's pool,
 * any further worker), peak RSS, and the load average before each run (the machine may be
 * shared: CPU per thread is the steadier figure).
 *
 *   node bench/thread-cpu.mjs [--runs 3] [--modes off,on] [--task convert|validate]
 *                             [--dist A/dist,B/dist] FILE...
 * Needs `npm run build`. `--dist` alternates builds (e.g. main built into a temp dir, and this
 * checkout's dist) run by run, so both see the same load; convert rows give the output's sha256.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
let dists = [join(here, "..", "dist")];
let task = "convert";
const hook = join(here, "thread-cpu-hook.mjs");

let runs = 3;
let modes = ["off", "on"];
const files = [];
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--runs") runs = Number(args[++i]);
  else if (args[i] === "--modes") modes = args[++i].split(",");
  else if (args[i] === "--task") task = args[++i];
  else if (args[i] === "--dist") dists = args[++i].split(",");
  else files.push(args[i]);
}

const rows = [];
for (const file of files) {
  for (let r = 0; r < runs; r++) {
    for (const [d, dist] of dists.entries())
      for (const mode of modes) {
        const cli = join(dist, "src", "cli", "main.js");
        const stats = join(tmpdir(), `feedpipe-thread-cpu-${process.pid}.json`);
        const output = join(tmpdir(), `feedpipe-thread-cpu-${process.pid}.csv`);
        const load = loadavg()[0].toFixed(1);
        const t0 = performance.now();
        const res = spawnSync(
          process.execPath,
          task === "convert"
            ? [cli, "convert", file, "-o", output, "--json", "--read-thread", mode]
            : [cli, "validate", file, "--report", "json", "--read-thread", mode],
          {
            encoding: "utf8",
            env: { ...process.env, BENCH_THREAD_FILE: stats, NODE_OPTIONS: `--import=${hook}` },
          },
        );
        const wall = (performance.now() - t0) / 1e3;
        if (res.status !== 0 && res.status !== 1) throw new Error(res.stderr);
        const s = JSON.parse(readFileSync(stats, "utf8"));
        const read = JSON.parse(res.stdout).read;
        // Hashed by a child process: reading the output here would raise this process's RSS, and a
        // child starts with its parent's peak RSS as its own maxRSS.
        const sha256 =
          task === "convert"
            ? spawnSync("sha256sum", [output], { encoding: "utf8" }).stdout.slice(0, 12)
            : "-";
        rmSync(stats, { force: true });
        rmSync(output, { force: true });
        const row = {
          file: file.split("/").pop(),
          ...(dists.length > 1 ? { dist: "ABCDEFGH"[d] } : {}),
          task,
          thread: mode,
          wall: +wall.toFixed(2),
          cpu: +s.cpu.toFixed(2),
          main: s.main,
          reader: mode === "on" ? s.reader : "-",
          // Other threads (GC helpers, libuv's pool, a writer thread when not the busiest).
          rest: +s.rest.toFixed(2),
          rssMB: s.rssMB,
          load,
          "k/s": Math.round(read / wall / 1e3),
          sha256,
        };
        console.log(JSON.stringify(row));
        rows.push(row);
      }
  }
}
console.table(rows);
