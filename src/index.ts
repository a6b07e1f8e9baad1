/**
 * feedpipe's public library surface: explicit named exports only (no `export *`), checked by
 * test/api-surface.test.ts so it changes only on purpose. Networks and the sandbox have their own
 * entry points: `feedpipe/partnerboost`, `feedpipe/partnerize`, `feedpipe/sandbox` (src/entries/).
 *
 *   import { validateFeed } from "feedpipe";
 *   const { report } = await validateFeed("catalog.csv.gz", { preset: "auto" });
 *
 *   import { openFeed, processFeed } from "feedpipe";            // the stages, for your own job
 *   const feed = await openFeed("catalog.csv.gz");               // any source, format sniffed
 *   const run = await processFeed(feed, { preset: "auto" });     // map + validate, in batches
 *   for await (const batch of run.records) { ... }               // CheckedRecord[]: product or issues
 */

// Record model, errors, retries, batches
export type {
  Fields,
  FieldValue,
  Issue,
  Origin,
  RecordBatch,
  RecordStream,
  Severity,
  SourceRecord,
} from "./core/record.js";
export { describeOrigin } from "./core/record.js";
export { ERROR_CODES, type ErrorCode, FeedpipeError, NetworkError, redactUrl } from "./core/errors.js";
export { AbortedError, isAborted } from "./core/abort.js";
export { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetry } from "./core/retry.js";
export { DEFAULT_MAX_WAIT_MS, RateController, type RateOptions, type RateStats } from "./core/rate.js";
export { RateLimits } from "./core/rate-limits.js";
export { type Clock, systemClock } from "./core/clock.js";
export { batched, collect, flatten } from "./core/batch.js";
export { type FeedpipeConfig, loadConfig } from "./core/config.js";

// Ingest: sources, decoding, formats
export { type Feed, openFeed, type ReadFeedOptions } from "./formats/index.js";
export type { ByteSource, OpenSourceOptions } from "./io/source.js";
export { sniffFormat } from "./formats/sniff.js";
export { readCsv } from "./formats/csv.js";
export type { Reader, ReaderStats, ReaderStream } from "./formats/reader.js";
export { readXml } from "./formats/xml.js";
export { readJson } from "./formats/json.js";
export { readNdjson } from "./formats/ndjson.js";
export type { InputFormat, OutputFormat, Row, Writer, WriterOptions } from "./formats/types.js";

// Map + validate
export {
  type CheckedRecord,
  loadPipeline,
  type Pipeline,
  type PipelineOptions,
  type ProcessedFeed,
  processFeed,
  productRow,
  type RuleSummary,
  type RunReport,
} from "./jobs/pipeline.js";
export { validateFeed, type ValidateFeedOptions, type ValidateFeedResult } from "./jobs/validate.js";
export { formatReportText } from "./core/report.js";
export { type MaxInvalid, parseMaxInvalid, withinMaxInvalid } from "./core/max-invalid.js";
export { openRejects } from "./jobs/rejects.js";
export {
  createRecordMapper,
  detectPreset,
  getPreset,
  loadMappingFile,
  PRESETS,
} from "../transforms/index.js";
export {
  AVAILABILITY_VALUES,
  type Availability,
  type CandidateProduct,
  checkGtin,
  compileValidator,
  CURRENCY_CODES,
  type CurrencyCode,
  decodeEntities,
  GTIN_PATTERN,
  type GtinCheck,
  type GtinCode,
  gtinCheckDigit,
  gtinPrefixRule,
  HTTP_URL_PATTERN,
  isCurrencyCode,
  LIMITS,
  normalizeAvailability,
  normalizeCurrency,
  normalizeMultiline,
  normalizeText,
  type PriceParse,
  type PriceParseOptions,
  parsePrice,
  PRODUCT_FIELDS,
  type Product,
  type ProductField,
  productJsonSchema,
  productSchema,
  REQUIRED_PRODUCT_FIELDS,
  type ResolvedValidateOptions,
  resolveValidateOptions,
  RULE_CODES,
  type RuleCode,
  type RuleInfo,
  RULES,
  stripHtml,
  type ValidateOptions,
  type ValidationResult,
  validateCandidate,
  validateOptionsSchema,
  WITHDRAWN_CURRENCIES,
} from "../schemas/index.js";

// Output
export { createWriter, formatFromPath, OUTPUT_FORMATS } from "./formats/writers/index.js";
export { type Output, openOutput, writeRows } from "./io/output.js";

// Jobs: push (brand networks) and sync state
export { pushFeed, type PushInput, type PushOptions, type PushSummary } from "./jobs/push.js";
export { productHash, SyncState } from "./sync/state.js";
export type { HistoryStore, StateBackend, SyncStore } from "./sync/store.js";
export { SqliteBackend } from "./sync/sqlite.js";
export { openBackend } from "./sync/backend.js";
export { exportRows } from "./jobs/pull.js";

// Reports and diffs
export { type Aggregates, FeedAggregates } from "./jobs/report/aggregates.js";
export { ReportCollector } from "./jobs/report/collect.js";
export { renderReportHtml, writeReportHtml } from "./jobs/report/html.js";
export { documentFromJson, type ReportDocument } from "./jobs/report/model.js";
export { SinceTracker } from "./jobs/report/since.js";
export { type Change, type DiffResult, diffFeeds } from "./jobs/diff/diff.js";
export { formatDiffText, renderDiffHtml } from "./jobs/diff/present.js";
