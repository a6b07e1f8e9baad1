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
 *
 * The factor is process-wide, so it would also keep a reader thread's young generation at the
 * 1-2 MiB it starts with (its size limit comes from the Worker's `resourceLimits`, see
 * worker-feed.ts): the thread then promotes most of what it allocates. The minimum semi-space size,
 * on the other hand, is read when an isolate is created, and the main isolate exists already: so
 * the CLI also sets `--min-semi-space-size`, and a reader thread starts at 8 MiB of its 16 instead
 * (`v8.getHeapSpaceStatistics()` in the thread) with no slow growth through the small sizes. Measured on 1M Google RSS
 * products, `convert --read-thread on`: peak RSS 173-175 MB when the main thread's cap was lifted
 * while a thread ran (the old way), 198-208 MB keeping the cap without the minimum, 149-150 MB
 * with it, for the same CPU time.
 *
 * Process-wide, so only the CLI calls this; the library never changes V8 flags.
 */
import { PerformanceObserver } from "node:perf_hooks";
import * as v8 from "node:v8";
import { onReaderThreadStart, READER_YOUNG_MB } from "../formats/worker-feed.js";

/** The running cap's check while the cap is not reached yet (see capYoungGeneration). */
let tick: (() => void) | undefined;

/** Look at the young generation now (cheap; nothing once the cap is reached). Called per batch. */
export function youngGenerationTick(): void {
  tick?.();
}

/** Default cap in MiB of new space (two semi-spaces). */
export const YOUNG_GENERATION_MB = 16;

function newSpaceBytes(): number {
  for (const s of v8.getHeapSpaceStatistics()) if (s.space_name === "new_space") return s.space_size;
  return 0;
}

/**
 * Stop the young generation from growing past `mb` MiB (it can end one doubling above when two
 * growths come between our checks), and start reader threads at their full young generation.
 * `mb` 0 leaves V8's defaults. Returns a function that stops watching.
 */
export function capYoungGeneration(mb: number = YOUNG_GENERATION_MB): () => void {
  if (!(mb > 0)) return () => undefined;
  // A young generation is two semi-spaces.
  v8.setFlagsFromString(`--min-semi-space-size=${READER_YOUNG_MB / 2}`);
  const limit = mb * 1024 * 1024;
  let capped = false;
  const cap = () => v8.setFlagsFromString("--semi-space-growth-factor=1");
  // The GC observer alone is not enough: its entries arrive in batches, and in about one 1M CSV
  // validate in three two growths (8 → 16 → 32 MiB) came between two of its callbacks early in
  // the run (main thread's new space 32 MiB at the peak, RSS 150-162 MB instead of 136; a 2 ms
  // timer missed them as well). The pipeline therefore also looks at every batch it takes
  // (`youngGenerationTick`, from the CLI's byte counter), until the cap is reached.
  const check = () => {
    if (!capped && newSpaceBytes() >= limit) {
      cap();
      capped = true;
      tick = undefined;
    }
  };
  check();
  if (!capped) tick = check;
  const observer = new PerformanceObserver(check);
  observer.observe({ entryTypes: ["gc"] });
  // V8 puts the growth factor back to 2 whenever it creates an isolate (a minimum it enforces on
  // its flags then): set it again once a reader thread has started.
  const stopListening = onReaderThreadStart(() => {
    if (capped) cap();
  });
  return () => {
    tick = undefined;
    observer.disconnect();
    stopListening();
  };
}

/** The cap the CLI uses: FEEDPIPE_YOUNG_MB (MiB, 0 = V8's default) or YOUNG_GENERATION_MB. */
export function youngGenerationOption(env: Record<string, string | undefined>): number {
  const v = env.FEEDPIPE_YOUNG_MB?.trim();
  if (v === undefined || v === "") return YOUNG_GENERATION_MB;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : YOUNG_GENERATION_MB;
}
