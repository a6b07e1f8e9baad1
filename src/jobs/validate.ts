/**
 * `validateFeed`: the library's one-call validate, the job behind `feedpipe validate` without the
 * terminal. Opens the source (file, `-`, URL), maps and validates every record in batches, and
 * returns the run report; the feed is closed whatever happens.
 */
import { type Feed, openFeed, type ReadFeedOptions } from "../formats/index.js";
import { type CheckedRecord, loadPipeline, type PipelineOptions, type RunReport } from "./pipeline.js";

export interface ValidateFeedOptions extends PipelineOptions {
  /** How to read the source (format, encoding, delimiter, timeouts, signal, ...). */
  input?: ReadFeedOptions | undefined;
  /** Each batch of checked records as it passes (write rejects, collect products). */
  onBatch?: ((batch: CheckedRecord[]) => void | Promise<void>) | undefined;
}

export interface ValidateFeedResult {
  report: RunReport;
  /** What was read: name, format, encoding, ... */
  feed: Pick<Feed, "name" | "format" | "encoding" | "compression" | "size">;
}

export async function validateFeed(
  source: string,
  options: ValidateFeedOptions = {},
): Promise<ValidateFeedResult> {
  const { input, onBatch, ...pipelineOptions } = options;
  // Bad options, presets and mapping files fail here, before any I/O.
  const pipeline = await loadPipeline(pipelineOptions);
  const feed = await openFeed(source, input);
  try {
    const run = await pipeline.process(feed);
    for await (const batch of run.records) await onBatch?.(batch);
    const { name, format, encoding, compression, size } = feed;
    return { report: run.report(), feed: { name, format, encoding, compression, size } };
  } finally {
    await feed.close();
  }
}
