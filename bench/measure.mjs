/**
 * Run a command as its own process and measure it: wall seconds and peak RSS (maxRSS of the whole
 * process, threads included, recorded at exit by ./rss-hook.mjs), with its stdout and stderr.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const hook = join(dirname(fileURLToPath(import.meta.url)), "rss-hook.mjs");

export function measure(cmd, args, { allowExit = [0], cwd, dataDir } = {}) {
  return new Promise((resolvePromise, reject) => {
    const rssFile = join(dataDir, `.rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
    const started = process.hrtime.bigint();
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, CI: "true", BENCH_RSS_FILE: rssFile, NODE_OPTIONS: `--import=${hook}` },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      if (stdout.length < 1e6) stdout += d;
    });
    child.stderr.on("data", (d) => {
      if (stderr.length < 1e5) stderr += d;
    });
    child.on("error", reject);
    child.on("close", async (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      let rss = Number.NaN;
      try {
        rss = Number(readFileSync(rssFile, "utf8"));
        await rm(rssFile, { force: true });
      } catch {}
      if (!allowExit.includes(code)) {
        reject(new Error(`${cmd} ${args.join(" ")} exited ${code}: ${stderr.slice(0, 2000)}`));
        return;
      }
      resolvePromise({ seconds, rss, stdout, stderr, code });
    });
  });
}
