// CPU seconds of the threads of this process, from /proc/self/task (Linux; elsewhere nothing).
import { readdirSync, readFileSync } from "node:fs";

/** Set `into[tid]` to the CPU seconds (user + system) of each thread of this process alive now. */
export function threadCpu(into) {
  let tasks = [];
  try {
    tasks = readdirSync("/proc/self/task");
  } catch {
    return;
  }
  for (const tid of tasks) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      into.set(tid, (Number(f[11]) + Number(f[12])) / 100);
    } catch {}
  }
}
