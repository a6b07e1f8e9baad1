/**
 * `feedpipe/partnerize`: the Partnerize client (brand feed registration, partner feed listing and
 * download) and its jobs. Explicit named exports; internals (envelope readers, file naming) stay inside.
 */
export {
  type CampaignFeedInput,
  type CampaignFeedUpdate,
  PARTNERIZE_API_URL,
  PartnerizeClient,
  type PartnerizeClientOptions,
  type PublisherFeedFilter,
} from "../networks/partnerize/client.js";
export type { CampaignFeed, PublisherFeed } from "../networks/partnerize/envelope.js";
export { checkFeed, type FeedCheckOptions, type FeedCheckResult } from "../jobs/check-feed.js";
export { type ConfiguredPartnerize, partnerizeFromConfig } from "../networks/partnerize/config.js";
export {
  type FeedPullResult,
  PARTNERIZE_PULL_COLUMNS,
  type PartnerizePullOptions,
  type PartnerizePullResult,
  partnerizeRow,
  pullPartnerizeFeeds,
  selectPartnerizeFeeds,
} from "../networks/partnerize/pull.js";
