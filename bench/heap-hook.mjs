// Preloaded into a benchmarked process (NODE_OPTIONS="--expose-gc --import ./bench/heap-hook.mjs"):
// once a second, a full GC (when --expose-gc is on) then process.memoryUsage(); at exit the samples
// go as JSON to BENCH_HEAP_FILE. Epoch timestamps, so the parent can line them up with its own
// progress samples. The timer is unref'd: it never keeps the process alive.
import { writeFileSync } from "node:fs";
import { setInterval } from "node:timers";

const out = process.env.BENCH_HEAP_FILE;
if (out) {
  const samples = [];
  const sample = () => {
    if (typeof globalThis.gc === "function") globalThis.gc();
    const m = process.memoryUsage();
    samples.push({
      at: Date.now(),
      heapUsed: m.heapUsed,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      rss: m.rss,
    });
  };
  const interval = Number(process.env.BENCH_HEAP_INTERVAL_MS ?? 1000);
  setInterval(sample, interval).unref();
  process.on("exit", () => {
    sample();
    writeFileSync(
      out,
      JSON.stringify({
        gc: typeof globalThis.gc === "function",
        maxRSS: process.resourceUsage().maxRSS * 1024,
        samples,
      }),
    );
  });
}
