/**
 * PartnerBoost Publisher API (datafeed): the publisher-side product source ("give me every product
 * of brand X"). One module per responsibility under ./publisher/:
 *
 *   filters.ts   filters and option checks (before any request)
 *   fields.ts    product fields, export columns, tolerant page reading
 *   client.ts    the client of the three datafeed operations (list, request_download, get_download_url)
 *   pull.ts      the paged pull (shared ordered concurrent paging + dedupe in ../paging.ts)
 *   bulk.ts      the bulk download path
 */
export * from "./publisher/filters.js";
export * from "./publisher/fields.js";
export * from "./publisher/client.js";
export * from "./publisher/pull.js";
export * from "./publisher/bulk.js";
