/** feedpipe's public library surface (explicit exports). */
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
export { FeedpipeError, NetworkError, type ErrorCode } from "./core/errors.js";
export { withRetry, DEFAULT_RETRY_POLICY, type RetryPolicy } from "./core/retry.js";
export { batched, collect, flatten } from "./core/batch.js";
export { openFeed, type Feed, type ReadFeedOptions } from "./formats/index.js";
export { sniffFormat } from "./formats/sniff.js";
export type { InputFormat, OutputFormat, Row, Writer } from "./formats/types.js";
export { productSchema, PRODUCT_FIELDS, type Product } from "../schemas/product.js";
export {
  startSandbox,
  type FaultOptions,
  type RunningSandbox,
  type SandboxModule,
} from "./sandbox/server.js";
