/**
 * `feedpipe/partnerize`: the Partnerize client (brand feed registration, partner feed listing and
 * download) and its jobs. Explicit named exports; internals (envelope readers, file naming) stay inside.
 */
export {
  type CampaignFeedInput,
  type CampaignFeedUpdate,
  PARTNERIZE_API_URL,
  createPartnerizeClient,
  type PartnerizeClient,
  type PartnerizeClientOptions,
  type PublisherFeedFilter,
} from "../networks/partnerize/client.js";
export type { CampaignFeed, PublisherFeed } from "../networks/partnerize/envelope.js";
export { checkFeed, type FeedCheckOptions, type FeedCheckResult } from "../jobs/check-feed.js";
export { type ConfiguredPartnerize, partnerizeFromConfig } from "../networks/partnerize/config.js";
export {
  PARTNERIZE_PULL_COLUMNS,
  partnerizeRow,
  selectPartnerizeFeeds,
} from "../networks/partnerize/feeds.js";
export {
  type FeedPullResult,
  type PartnerizePullOptions,
  type PartnerizePullResult,
  pullPartnerizeFeeds,
} from "../jobs/pull-partnerize.js";
