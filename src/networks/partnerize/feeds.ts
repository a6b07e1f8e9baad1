/**
 * Partner side, the network's part of a pull (the composition is src/jobs/pull-partnerize.ts): which
 * feeds to pull, where to download each from, and how an exported row and a per-feed file are named.
 */
import { createHash } from "node:crypto";
import { PRODUCT_FIELDS, type Product } from "../../../schemas/product.js";
import { FeedpipeError } from "../../core/errors.js";
import type { OutputFormat, Row } from "../../formats/types.js";
import type { CallOptions } from "../http-client.js";
import type { PartnerizeClient } from "./client.js";
import type { PublisherFeed } from "./envelope.js";

/** Columns of every exported row: the product fields, then where the product came from. */
export const PARTNERIZE_EXTRA_COLUMNS = ["campaign_id", "campaign_title", "feed_id"] as const;
export const PARTNERIZE_PULL_COLUMNS: string[] = [...PRODUCT_FIELDS, ...PARTNERIZE_EXTRA_COLUMNS];

const EXTENSIONS: Record<OutputFormat, string> = {
  csv: "csv",
  tsv: "tsv",
  ndjson: "ndjson",
  json: "json",
  xml: "xml",
};

/** Add the campaign columns to a product. */
export function partnerizeRow(
  product: Product,
  feed: Pick<PublisherFeed, "campaignId" | "campaignTitle" | "feedId">,
): Row {
  const row: Row = {};
  for (const f of PRODUCT_FIELDS) row[f] = product[f];
  row.campaign_id = feed.campaignId;
  row.campaign_title = feed.campaignTitle;
  row.feed_id = feed.feedId;
  return row;
}

/**
 * The per-feed file name: `<campaign_id>-<feed_id>.<ext>` with path-unsafe characters replaced.
 * Names are unique within a run (`used`, compared case-insensitively): when two feeds map to one
 * name (`a-b`/`c` and `a`/`b-c`, or `a/b` and `a_b`), the later gets a short hash of its exact ids.
 * A name too long for a file system (over 200 characters) is shortened and hashed the same way.
 */
export function perFeedFileName(
  feed: Pick<PublisherFeed, "campaignId" | "feedId">,
  format: OutputFormat,
  used?: Set<string>,
): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, "_");
  const ext = EXTENSIONS[format];
  const base = `${safe(feed.campaignId || "campaign")}-${safe(feed.feedId)}`;
  const hash = createHash("sha256")
    .update(JSON.stringify([feed.campaignId, feed.feedId]))
    .digest("hex");
  const short = base.length > 200 ? base.slice(0, 180) : base;
  let name = short === base ? `${base}.${ext}` : `${short}-${hash.slice(0, 10)}.${ext}`;
  for (let n = 1; used?.has(name.toLowerCase()); n++) {
    name = `${short}-${hash.slice(0, 10)}${n > 1 ? `-${n}` : ""}.${ext}`;
  }
  used?.add(name.toLowerCase());
  return name;
}

/** List and select the feeds to pull. Unknown `feedIds` fail with USAGE, naming what is available. */
export async function selectPartnerizeFeeds(
  client: PartnerizeClient,
  publisherId: string,
  campaignId: string | undefined,
  feedIds: string[] | undefined,
  options?: CallOptions,
): Promise<PublisherFeed[]> {
  const wanted = (feedIds ?? []).map((s) => s.trim()).filter(Boolean);
  // A named feed is pulled whether or not it is active; otherwise only active feeds.
  const listed = await client.listPublisherFeeds(
    publisherId,
    {
      campaignId,
      active: wanted.length > 0 ? undefined : true,
    },
    options,
  );
  if (wanted.length === 0) return listed;
  const missing = wanted.filter((id) => !listed.some((f) => f.feedId === id));
  if (missing.length > 0) {
    const available = listed.map((f) => `${f.campaignId}/${f.feedId}`).join(", ") || "none";
    throw new FeedpipeError(
      "USAGE",
      `No feed ${missing.join(", ")} is available to partner ${publisherId}${campaignId ? ` on campaign ${campaignId}` : ""} (available: ${available})`,
    );
  }
  return listed.filter((f) => wanted.includes(f.feedId));
}

/** Where a feed can be downloaded from, best first: the gzip copy, then the plain file. */
export interface DownloadCandidate {
  field: "location_compressed" | "location";
  url: string;
  size: number | undefined;
}

export function downloadCandidates(feed: PublisherFeed): DownloadCandidate[] {
  const out: DownloadCandidate[] = [];
  if (feed.locationCompressed) {
    out.push({ field: "location_compressed", url: feed.locationCompressed, size: feed.filesizeCompressed });
  }
  if (feed.location && feed.location !== feed.locationCompressed) {
    out.push({ field: "location", url: feed.location, size: feed.filesize });
  }
  return out;
}
