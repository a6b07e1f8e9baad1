/** Partnerize: brand feed registration (v1 Product Feeds) and partner feed listing and download. */
export {
  type CampaignFeedInput,
  type CampaignFeedUpdate,
  PARTNERIZE_API_URL,
  PartnerizeClient,
  type PartnerizeClientOptions,
  type PublisherFeedFilter,
} from "./client.js";
export type { CampaignFeed, PublisherFeed } from "./envelope.js";
export { readCampaignFeeds, readErrorBody, readPublisherFeeds } from "./envelope.js";
export { checkFeed, type FeedCheckOptions, type FeedCheckResult, type MaxInvalidAllowance } from "./check.js";
export { type ConfiguredPartnerize, partnerizeFromConfig } from "./config.js";
export {
  type FeedPullResult,
  PARTNERIZE_PULL_COLUMNS,
  type PartnerizePullOptions,
  type PartnerizePullResult,
  partnerizeRow,
  perFeedFileName,
  pullPartnerizeFeeds,
  selectPartnerizeFeeds,
} from "./pull.js";
