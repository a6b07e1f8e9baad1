/**
 * The push's publish gate and its source handling (see src/jobs/push.ts): the valid count is
 * compared with the last completed run before anything is sent, which needs the whole feed, so a
 * source that cannot be read twice (stdin, a URL) is spooled once and both passes read the copy.
 */
import type { SyncStore } from "../sync/store.js";
import type { OpenSourceOptions } from "../io/source.js";
import { needsSpool, type Spooled, spoolSource } from "../io/spool.js";
import type { ProcessedFeed, RunReport } from "./pipeline.js";

export interface GateResult {
  /** Valid products in the last completed run. */
  previousValid: number;
  previousRunId: number;
  previousAt: string;
  /** Valid products in this feed. */
  currentValid: number;
  /** Fraction by which the valid count fell (negative when it grew). */
  drop: number;
  threshold: number;
  /** The drop is over the threshold (and `force` was not given). */
  refused: boolean;
  forced: boolean;
}

/** A source given by name: the push decides whether it must be spooled (see the header). */
export interface PushInput {
  /** A file path, `-` for stdin, or an http(s) URL. */
  spec: string;
  /** Open `path` (the spec, or its spooled copy) as checked records; `name` is the name to show. */
  open(path: string, name: string | undefined): Promise<ProcessedFeed>;
  /** How to read the bytes when spooling (stdin stream, timeouts, headers). */
  read?: OpenSourceOptions | undefined;
}

/** What a push reads: checked records, a function that opens them, or a source by name. */
export type PushSource = ProcessedFeed | (() => Promise<ProcessedFeed>) | PushInput;

export async function evaluateGate(
  state: SyncStore | undefined,
  brandId: string,
  currentValid: number,
  threshold: number,
  force: boolean,
): Promise<GateResult | undefined> {
  const last = await state?.lastCompletedRun(brandId);
  if (!last || last.valid <= 0) return undefined;
  const drop = (last.valid - currentValid) / last.valid;
  return {
    previousValid: last.valid,
    previousRunId: last.id,
    previousAt: last.finishedAt ?? last.startedAt,
    currentValid,
    drop,
    threshold,
    refused: !force && drop > threshold,
    forced: force && drop > threshold,
  };
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

/** The explanation shown when the gate refuses. */
export function gateMessage(g: GateResult): string {
  return (
    `Publish gate: this feed has ${g.currentValid} valid product${g.currentValid === 1 ? "" : "s"}, ` +
    `${pct(g.drop)} fewer than the ${g.previousValid} of the last completed push (run ${g.previousRunId}, ${g.previousAt}); ` +
    `the largest allowed drop is ${pct(g.threshold)}. Nothing was sent. A sudden drop usually means a broken ` +
    `export or the wrong file; if the catalog really shrank, push again with --force (or raise --gate).`
  );
}

export type Opener = ProcessedFeed | (() => Promise<ProcessedFeed>);

export function isInput(source: PushSource): source is PushInput {
  return typeof source === "object" && "spec" in source && typeof source.open === "function";
}

export async function openSource(source: Opener): Promise<ProcessedFeed> {
  return typeof source === "function" ? source() : source;
}

/** The source as an opener; with two passes, stdin or a URL is spooled once (`spooled`). */
export async function prepareSource(
  source: PushSource,
  twoPasses: boolean,
  signal: AbortSignal,
): Promise<{ opener: Opener; spooled?: Spooled | undefined }> {
  if (!isInput(source)) return { opener: source };
  if (!twoPasses || !needsSpool(source.spec)) return { opener: () => source.open(source.spec, undefined) };
  const spooled = await spoolSource(source.spec, { ...source.read, signal });
  return { opener: () => source.open(spooled.path, spooled.name), spooled };
}

/** Drain a feed to count its valid products (the gate's first pass). */
export async function countValid(feed: ProcessedFeed, signal: AbortSignal): Promise<RunReport> {
  for await (const _batch of feed.records) {
    if (signal.aborted) break;
  }
  return feed.report();
}
