/**
 * feedpipe's public library surface (explicit exports).
 *
 *   import { openFeed, processFeed, createWriter, openOutput, PRODUCT_FIELDS, productRow } from "feedpipe";
 *   const feed = await openFeed("catalog.csv.gz");               // any source, format sniffed
 *   const run = await processFeed(feed, { preset: "auto" });     // map + validate, in batches
 *   for await (const batch of run.records) { ... }               // CheckedRecord[]: product or issues
 *   console.log(run.report());                                   // counts by rule with examples
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
export { type ErrorCode, FeedpipeError, NetworkError, redactSecrets, redactUrl } from "./core/errors.js";
export { DEFAULT_RETRY_POLICY, type RetryPolicy, withRetry } from "./core/retry.js";
export { DEFAULT_MAX_WAIT_MS, RateController, type RateOptions, type RateStats } from "./core/rate.js";
export { RateLimits } from "./core/rate-limits.js";
export { type Clock, systemClock } from "./core/clock.js";
export { batched, collect, flatten } from "./core/batch.js";
export { type FeedpipeConfig, loadConfig } from "./core/config.js";

// Ingest: sources, decoding, formats
export { type Feed, openFeed, type ReadFeedOptions } from "./formats/index.js";
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
export { formatReportText } from "./core/report.js";
export { openRejects } from "./jobs/rejects.js";
export {
  createRecordMapper,
  detectPreset,
  getPreset,
  loadMappingFile,
  PRESETS,
} from "../transforms/index.js";
export * from "../schemas/index.js";

// Output
export { createWriter, formatFromPath, OUTPUT_FORMATS } from "./formats/writers/index.js";
export { type Output, openOutput, writeRows } from "./io/output.js";

// Networks
export { authHash } from "./networks/partnerboost/auth.js";
export { createBrandClient, type ProductSink } from "./networks/partnerboost/brand.js";
export { parseEnvelope } from "./networks/partnerboost/envelope.js";
export { pushFeed, type PushSummary } from "./jobs/push.js";
export { productHash, SyncState } from "./sync/state.js";
export {
  bulkPublisherProducts,
  createPublisherClient,
  PUBLISHER_COLUMNS,
  pullPublisherProducts,
  resolvePublisherFilters,
  waitForDownload,
} from "./networks/partnerboost/publisher.js";
export {
  AMAZON_COLUMNS,
  amazonRow,
  checkLinkStatus,
  createAmazonClient,
  pullAmazonProducts,
  resolveAmazonFilters,
  withProductLinks,
} from "./networks/partnerboost/amazon.js";
export { exportRows } from "./jobs/pull.js";
export { pagesInOrder } from "./core/pages.js";
export * from "./networks/partnerize/index.js";

// Reports and diffs
export { type Aggregates, FeedAggregates } from "./jobs/report/aggregates.js";
export { ReportCollector } from "./jobs/report/collect.js";
export { renderReportHtml, writeReportHtml } from "./jobs/report/html.js";
export { documentFromJson, type ReportDocument } from "./jobs/report/model.js";
export { SinceTracker } from "./jobs/report/since.js";
export { type Change, type DiffResult, diffFeeds } from "./jobs/diff/diff.js";
export { formatDiffText, renderDiffHtml } from "./jobs/diff/present.js";

// Sandbox
export {
  type FaultOptions,
  type RunningSandbox,
  type SandboxModule,
  startSandbox,
} from "./sandbox/server.js";
export { partnerizeModule } from "./sandbox/partnerize.js";
export { partnerboostPublisherModule } from "./sandbox/partnerboost-publisher.js";
export { partnerboostAmazonModule } from "./sandbox/partnerboost-amazon.js";
export { partnerboostBrandModule } from "./sandbox/partnerboost-brand.js";
export { startDefaultSandbox } from "./sandbox/index.js";
export { generateCatalog } from "./sandbox/catalog.js";
