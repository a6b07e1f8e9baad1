/**
 * The one feed check (`register partnerize --check`, `register partnerboost --check`, the demo):
 * stream the feed at a location through ingest → map → validate and decide whether it is fit to
 * register (readable, and within its max-invalid allowance).
 */
import { loadPipeline, type PipelineOptions, type RunReport } from "./pipeline.js";
import { FeedpipeError, redactUrl } from "../core/errors.js";
import { openFeed, type ReadFeedOptions } from "../formats/index.js";
import { DEFAULT_MAX_INVALID_PERCENT } from "../networks/partnerize/present.js";
import { invalidPercent, type MaxInvalid, withinMaxInvalid } from "../core/max-invalid.js";

export interface FeedCheckOptions {
  preset?: string | undefined;
  mapping?: string | undefined;
  /** Other pipeline options (currency, baseUrl, decimalComma, dedupe). */
  pipeline?: Omit<PipelineOptions, "preset" | "mapping"> | undefined;
  /**
   * Refuse when more records than this are invalid: a count, or a percentage of the records read
   * (the same allowance as `validate --max-invalid`). Default: 50%.
   */
  maxInvalid?: MaxInvalid | undefined;
  timeoutMs?: number | undefined;
  /** Headers for the download (none for a brand's own host). */
  headers?: Record<string, string> | undefined;
  signal?: AbortSignal | undefined;
  /** Other read options (format, encoding, delimiter, ...); the ones above take precedence. */
  input?: ReadFeedOptions | undefined;
}

export interface FeedCheckResult {
  ok: boolean;
  /** False when the feed could not be read at all (then `code` and `message` say why). */
  readable: boolean;
  /** The read error's message, when the feed could not be read. */
  message?: string | undefined;
  /** Why the feed was refused, when it was. */
  reason?: string | undefined;
  /** The error code when the feed could not be read. */
  code?: string | undefined;
  format?: string | undefined;
  preset?: string | undefined;
  records: number;
  valid: number;
  invalid: number;
  invalidPercent: number;
  maxInvalid: MaxInvalid;
  /** The most frequent error rules (code and count). */
  topErrors: { code: string; count: number }[];
}

export { DEFAULT_MAX_INVALID_PERCENT };

function topErrors(report: RunReport): { code: string; count: number }[] {
  return report.rules
    .filter((r) => r.severity === "error")
    .sort((a, b) => b.count - a.count)
    .slice(0, 5)
    .map((r) => ({ code: r.code, count: r.count }));
}

/**
 * Read the whole feed once (streaming, flat memory) and count valid and invalid records. Never
 * throws for a bad feed: an unreadable one is `ok: false` with the reason; bad options (an unknown
 * preset, a broken mapping file) still throw, before any I/O where the pipeline can tell.
 */
export async function checkFeed(location: string, options: FeedCheckOptions = {}): Promise<FeedCheckResult> {
  const maxInvalid: MaxInvalid = options.maxInvalid ?? { percent: DEFAULT_MAX_INVALID_PERCENT };
  const empty = {
    readable: false,
    records: 0,
    valid: 0,
    invalid: 0,
    invalidPercent: 0,
    maxInvalid,
    topErrors: [],
  };
  // Bad options, presets and mapping files fail here, before the download.
  const pipeline = await loadPipeline({
    ...options.pipeline,
    preset: options.preset,
    mapping: options.mapping,
  });
  let format: string | undefined;
  let report: RunReport;
  let preset: string | undefined;
  try {
    const feed = await openFeed(location, {
      ...options.input,
      timeoutMs: options.timeoutMs ?? options.input?.timeoutMs,
      headers: options.headers ?? options.input?.headers,
      signal: options.signal ?? options.input?.signal,
    });
    format = feed.format;
    const processed = await pipeline.process(feed);
    preset = processed.preset;
    for await (const _batch of processed.records) {
      // drain: the report counts as records pass
    }
    report = processed.report();
  } catch (err) {
    if (err instanceof FeedpipeError && isOptionError(err.code)) throw err;
    const code = err instanceof FeedpipeError ? err.code : undefined;
    const message = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      reason: `could not read the feed at ${redactUrl(location)}: ${message}`,
      code,
      message,
      format,
      preset,
      ...empty,
    };
  }
  const percent = invalidPercent(report);
  const result: FeedCheckResult = {
    ok: true,
    readable: true,
    format,
    preset,
    records: report.records,
    valid: report.valid,
    invalid: report.invalid,
    invalidPercent: Math.round(percent * 10) / 10,
    maxInvalid,
    topErrors: topErrors(report),
  };
  if (report.records === 0) {
    result.ok = false;
    result.reason = `the feed at ${redactUrl(location)} has no products`;
  } else if (!withinMaxInvalid(report, maxInvalid)) {
    result.ok = false;
    result.reason =
      maxInvalid.count !== undefined
        ? `${report.invalid} products are invalid (more than ${maxInvalid.count} allowed)`
        : `${result.invalidPercent}% of the products are invalid (more than ${maxInvalid.percent}%)`;
  }
  return result;
}

function isOptionError(code: string): boolean {
  return (
    code === "INVALID_OPTION" || code === "PRESET_UNKNOWN" || code === "MAPPING_INVALID" || code === "USAGE"
  );
}
