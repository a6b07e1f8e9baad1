/**
 * Bound how far V8 lets the old generation grow between full GCs, for the CLI process.
 *
 * After each full GC V8 sets the next one's limit at the live size times a growing factor that it
 * picks from the GC's speed against the program's allocation speed: 1.1 to 4 on a machine with this
 * much memory. A feed run's live old space is small (12-20 MB: modules, the report's aggregates),
 * but it promotes garbage at a steady rate (batches that outlive two scavenges; the short strings
 * `JSON.parse` internalizes, see the NDJSON reader), so the factor decides how much garbage is
 * resident at the peak. It moves with the machine's load, which is how one 1 GB JSON validate
 * peaked at 175 MB where reruns of the same command peaked at 141-144. `--heap-growing-percent`
 * fixes the factor (V8 reads it at every limit update, so it can be set once V8 runs); below 1.5
 * V8's minimum step between limits (8 MB) decides for a heap this small anyway. Process-wide, so a
 * reader thread's heap gets the same bound. Only the CLI calls this; the library never changes V8
 * flags. (If a V8 ignored the flag, only memory would differ, never results.)
 */
import * as v8 from "node:v8";

/** Default growth of the old generation's limit over the live size, in percent. */
export const HEAP_GROWING_PERCENT = 50;

/** Set V8's old-generation growing factor to 1 + percent/100; 0 leaves V8's dynamic factor. */
export function boundOldGeneration(percent: number = HEAP_GROWING_PERCENT): void {
  if (!(percent > 0)) return;
  v8.setFlagsFromString(`--heap-growing-percent=${Math.round(percent)}`);
}

/** The bound the CLI uses: FEEDPIPE_HEAP_GROWING (percent, 0 = V8's dynamic factor) or the default. */
export function heapGrowingOption(env: Record<string, string | undefined>): number {
  const v = env.FEEDPIPE_HEAP_GROWING?.trim();
  if (v === undefined || v === "") return HEAP_GROWING_PERCENT;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : HEAP_GROWING_PERCENT;
}
