/**
 * `feedpipe/partnerboost`: the PartnerBoost clients (brand push, publisher and Amazon pulls) and
 * their jobs. Explicit named exports; internals (request signing, envelopes, paging) stay inside.
 */
export {
  type BrandClient,
  type BrandClientConfig,
  createBrandClient,
  type ProductSink,
} from "../networks/partnerboost/brand.js";
export {
  bulkPublisherProducts,
  createPublisherClient,
  PUBLISHER_COLUMNS,
  pullPublisherProducts,
  resolvePublisherFilters,
  waitForDownload,
} from "../networks/partnerboost/publisher.js";
export {
  AMAZON_COLUMNS,
  amazonRow,
  checkLinkStatus,
  createAmazonClient,
  pullAmazonProducts,
  resolveAmazonFilters,
  withProductLinks,
} from "../networks/partnerboost/amazon.js";
export { pushFeed, type PushInput, type PushOptions, type PushSummary } from "../jobs/push.js";
