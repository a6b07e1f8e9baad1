/**
 * `feedpipe feeds partnerize`: list Partnerize feeds.
 *
 *   --campaign-id ID                  brand view: the campaign's registered Product Feeds
 *   --publisher-id ID [--campaign-id] partner view: the feeds available to download, with their
 *                                     campaign, name, size and last processed time
 *
 * Prints an aligned table, or `--json`. Exit 0, or 2 on a fatal error (auth, config, usage).
 */
import type { Command } from "commander";
import { FeedpipeError } from "../../core/errors.js";
import {
  campaignFeedJson,
  campaignFeedsTable,
  publisherFeedJson,
  publisherFeedsTable,
} from "../../networks/partnerize/present.js";
import type { CliContext } from "../context.js";
import { intOption } from "../options.js";
import { type PartnerizeClientFlags, partnerizeClientFor } from "../partnerize.js";
import { addRateOptions } from "../rate.js";

interface FeedsFlags extends PartnerizeClientFlags {
  campaignId?: string | undefined;
  publisherId?: string | undefined;
  active?: string | undefined;
  json?: boolean | undefined;
}

function activeFilter(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (v === "y" || v === "yes") return true;
  if (v === "n" || v === "no") return false;
  if (v === "all") return undefined;
  throw new FeedpipeError("INVALID_OPTION", `Invalid option --active: expected y, n or all, got "${value}"`);
}

export function registerFeedsPartnerize(parent: Command, ctx: CliContext): void {
  const cmd = parent
    .command("partnerize")
    .description("list a Partnerize campaign's feeds (brand) or the feeds available to a partner")
    .option("--campaign-id <id>", "campaign id (brand view; with --publisher-id: only this campaign)")
    .option("--publisher-id <id>", "partner (publisher) id: list the feeds this partner can download")
    .option("--active <y|n|all>", "partner view: only active (y) or inactive (n) feeds (default all)")
    .option("--json", "print JSON instead of a table")
    .option("-q, --quiet", "no retry notices on stderr")
    .option("--config <file>", "config file (default ./feedpipe.config.json or FEEDPIPE_CONFIG)")
    .option("--timeout <ms>", "HTTP connect/response timeout", intOption("--timeout", 1));
  addRateOptions(cmd)
    .addHelpText(
      "after",
      `
Environment: PARTNERIZE_APPLICATION_KEY, PARTNERIZE_USER_API_KEY, PARTNERIZE_API_URL (default https://api.partnerize.com)

Examples:
  $ feedpipe feeds partnerize --campaign-id 10l176
  $ feedpipe feeds partnerize --publisher-id 1l1007802 --json`,
    )
    .action(async (flags: FeedsFlags) => {
      const campaignId = flags.campaignId?.trim() || undefined;
      const publisherId = flags.publisherId?.trim() || undefined;
      if (!campaignId && !publisherId) {
        throw new FeedpipeError(
          "USAGE",
          "feedpipe feeds partnerize needs --campaign-id ID (brand) or --publisher-id ID (partner)",
        );
      }
      const active = activeFilter(flags.active);
      if (active !== undefined && !publisherId) {
        throw new FeedpipeError("USAGE", "--active filters the partner view: use it with --publisher-id");
      }
      const client = partnerizeClientFor(ctx, flags, "feedpipe feeds partnerize");
      const call = { signal: ctx.io.signal };

      if (publisherId) {
        const feeds = await client.listPublisherFeeds(publisherId, { campaignId, active }, call);
        if (flags.json) {
          ctx.out(
            `${JSON.stringify({ publisherId, campaignId: campaignId ?? null, feeds: feeds.map(publisherFeedJson) }, null, 2)}\n`,
          );
        } else if (feeds.length === 0) {
          ctx.out(
            `No feeds available to partner ${publisherId}${campaignId ? ` on campaign ${campaignId}` : ""}.\n`,
          );
        } else {
          ctx.out(publisherFeedsTable(feeds));
        }
        return;
      }
      const feeds = await client.listCampaignFeeds(campaignId!, call);
      if (flags.json) {
        ctx.out(`${JSON.stringify({ campaignId, feeds: feeds.map(campaignFeedJson) }, null, 2)}\n`);
      } else if (feeds.length === 0) {
        ctx.out(
          `Campaign ${campaignId} has no feeds. Register one: feedpipe register partnerize --campaign-id ${campaignId} --location URL\n`,
        );
      } else {
        ctx.out(campaignFeedsTable(feeds));
      }
    });
}
