// Preloaded into a benchmarked process (NODE_OPTIONS=--import): samples memory every 25 ms and, at
// exit, writes to BENCH_MEM_FILE the sample taken at the highest RSS (process.memoryUsage() and
// V8's heap spaces), the process's maxRSS and its CPU seconds. Main thread only: a reader thread's
// heap shows up in RSS but not in the heap spaces.
import { writeFileSync } from "node:fs";
import { setInterval } from "node:timers";
import * as v8 from "node:v8";

const out = process.env.BENCH_MEM_FILE;
if (out) {
  const mb = (n) => +(n / 1048576).toFixed(1);
  let peak = { rss: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    if (m.rss <= peak.rss) return;
    const spaces = {};
    for (const s of v8.getHeapSpaceStatistics()) spaces[s.space_name] = mb(s.space_size);
    peak = {
      rss: m.rss,
      at: process.uptime(),
      heapTotal: mb(m.heapTotal),
      heapUsed: mb(m.heapUsed),
      external: mb(m.external),
      arrayBuffers: mb(m.arrayBuffers),
      spaces,
    };
  };
  const timer = setInterval(sample, 25);
  timer.unref();
  process.on("exit", () => {
    sample();
    const cpu = process.cpuUsage();
    writeFileSync(
      out,
      JSON.stringify({
        maxRssMb: mb(process.resourceUsage().maxRSS * 1024),
        cpuS: +((cpu.user + cpu.system) / 1e6).toFixed(2),
        wallS: +process.uptime().toFixed(2),
        peak: { ...peak, rss: mb(peak.rss) },
      }),
    );
  });
}
