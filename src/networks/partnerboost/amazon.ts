/**
 * PartnerBoost's Amazon publisher endpoints: products, tracking links, brands, link health.
 * One module per responsibility under ./amazon/:
 *
 *   filters.ts   filters, id lists and option checks (before any request)
 *   fields.ts    product fields, the flat export row (prices, percentages, promo codes, variants)
 *   client.ts    the client of the six endpoints (through ../request.ts)
 *   pull.ts      the paged product pull (shared ordered concurrent paging + dedupe in ../paging.ts)
 *   links.ts     link generation and link status in bounded batches
 */
export * from "./amazon/filters.js";
export * from "./amazon/fields.js";
export * from "./amazon/client.js";
export * from "./amazon/pull.js";
export * from "./amazon/links.js";
