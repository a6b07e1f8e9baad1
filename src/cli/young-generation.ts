/**
 * Cap V8's young generation for the CLI process.
 *
 * V8 lets the young generation (new space) grow from 2 MiB to 32 MiB in a long run, by doubling
 * whenever many objects survive a scavenge. A feed run always keeps a batch or two alive, so it
 * grows to the full 32 MiB, which is then a fifth of the peak RSS of a 1 GB feed. At 16 MiB the run
 * takes the same CPU time (measured on 1M CSV products, in-process validate: 5.06 vs 5.15 s and
 * 4.64 vs 4.70 s, peak RSS 116 vs 128 MB); at 8 MiB it takes ~20% more. So the CLI stops at 16.
 *
 * `--max-semi-space-size` cannot be changed once V8 runs, and passing it would take a second
 * process (re-exec) or a non-portable shebang. The growth factor is read at each growth, though:
 * after every GC we look at the new space and, once it has reached the cap, set the factor to 1,
 * so it stays at that size. (If a V8 ignored the flag, only memory would differ, never results.)
 * The factor is process-wide: it would also keep a reader thread's young generation at its first
 * 2 MiB (measured: a quarter of the thread's time in GC), and every new isolate puts it back to 2
 * anyway. So while a reader thread runs the cap is lifted (those runs read files of at most 768 MiB,
 * see worker-feed.ts), and the watch goes on for the whole run.
 *
 * Process-wide, so only the CLI calls this; the library never changes V8 flags.
 */
import { PerformanceObserver } from "node:perf_hooks";
import * as v8 from "node:v8";
import { readerThreadsRunning } from "../formats/worker-feed.js";

/** Default cap in MiB of new space (two semi-spaces). */
export const YOUNG_GENERATION_MB = 16;

function newSpaceBytes(): number {
  for (const s of v8.getHeapSpaceStatistics()) if (s.space_name === "new_space") return s.space_size;
  return 0;
}

/**
 * Stop the young generation from growing past `mb` MiB (it can end one doubling above when two
 * growths come between our checks). `mb` 0 leaves V8's default. Returns a function that stops
 * watching.
 */
export function capYoungGeneration(
  mb: number = YOUNG_GENERATION_MB,
  paused: () => boolean = () => readerThreadsRunning() > 0,
): () => void {
  if (!(mb > 0)) return () => undefined;
  const limit = mb * 1024 * 1024;
  let capped = false;
  const check = () => {
    if (paused()) {
      if (capped) v8.setFlagsFromString("--semi-space-growth-factor=2");
      capped = false;
    } else if (newSpaceBytes() >= limit) {
      v8.setFlagsFromString("--semi-space-growth-factor=1");
      capped = true;
    }
  };
  check();
  const observer = new PerformanceObserver(check);
  observer.observe({ entryTypes: ["gc"] });
  return () => observer.disconnect();
}

/** The cap the CLI uses: FEEDPIPE_YOUNG_MB (MiB, 0 = V8's default) or YOUNG_GENERATION_MB. */
export function youngGenerationOption(env: Record<string, string | undefined>): number {
  const v = env.FEEDPIPE_YOUNG_MB?.trim();
  if (v === undefined || v === "") return YOUNG_GENERATION_MB;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : YOUNG_GENERATION_MB;
}
