// Preloaded (NODE_OPTIONS=--import) by ./thread-cpu.mjs: on the main thread, samples the CPU time
// of every thread of the process from /proc/self/task (Linux) and writes, at exit, the main
// thread's, the busiest other thread's (the reader thread), the rest's, the whole process's
// (process.cpuUsage) and the peak RSS to BENCH_THREAD_FILE.
import { writeFileSync } from "node:fs";
import { setInterval } from "node:timers";
import { isMainThread } from "node:worker_threads";
import { threadCpu } from "./proc-threads.mjs";

const out = process.env.BENCH_THREAD_FILE;
if (out && isMainThread) {
  const seen = new Map();
  const sample = () => threadCpu(seen);
  setInterval(sample, 100).unref();
  process.on("exit", () => {
    sample();
    const main = seen.get(String(process.pid)) ?? Number.NaN;
    const others = [...seen].filter(([tid]) => tid !== String(process.pid)).map(([, s]) => s);
    const reader = Math.max(0, ...others);
    const u = process.cpuUsage();
    writeFileSync(
      out,
      JSON.stringify({
        cpu: (u.user + u.system) / 1e6,
        main,
        reader,
        rest: others.reduce((a, b) => a + b, 0) - reader,
        rssMB: Math.round(process.resourceUsage().maxRSS / 1024),
      }),
    );
  });
}
