/**
 * `feedpipe register partnerize`: register (or update, or deactivate) a brand's hosted feed on a
 * Partnerize campaign.
 *
 * The campaign's feeds are listed first: a feed with the same location is updated (locations are
 * unique and cannot change), otherwise a new feed is created. `--inactive` sends `active: "n"`
 * (Partnerize has no delete). `--check` first streams the feed at the location through
 * ingest → map → validate and refuses (exit 1) when it is unreadable or more of its products are
 * invalid than `--max-invalid` allows (a count `10` or a percentage `2.5%`; default 50%).
 *
 * Exit codes: 0 registered; 1 refused by --check; 2 fatal (usage, config, auth, API error).
 */
import { resolve } from "node:path";
import type { Command } from "commander";
import { loadConfig } from "../../core/config.js";
import { FeedpipeError, redactUrl } from "../../core/errors.js";
import type { CampaignFeed } from "../../networks/partnerize/envelope.js";
import type { FeedCheckResult } from "../../jobs/check-feed.js";
import {
  campaignFeedJson,
  DEFAULT_MAX_INVALID_PERCENT,
  formatFrequency,
} from "../../networks/partnerize/present.js";
import { type CliContext, EXIT_INVALID } from "../context.js";
import { addLockOptions, takeRunLock } from "../lock.js";
import { intOption } from "../options.js";
import { partnerizeClientFor, partnerizeRates } from "../partnerize.js";
import { type RateFlags, rateOptions } from "../rate.js";
import type { MaxInvalid } from "../../core/max-invalid.js";
import { maxInvalidOption } from "./validate.js";

interface RegisterFlags extends RateFlags {
  wait?: number | boolean | undefined;
  campaignId: string;
  location: string;
  name?: string | undefined;
  fetchFrequency?: number | undefined;
  inactive?: boolean | undefined;
  check?: boolean | undefined;
  preset?: string | undefined;
  mapping?: string | undefined;
  currency?: string | undefined;
  baseUrl?: string | undefined;
  decimalComma?: boolean | undefined;
  priceWithCurrency?: boolean | undefined;
  maxInvalid?: MaxInvalid | undefined;
  json?: boolean | undefined;
  quiet?: boolean | undefined;
  config?: string | undefined;
  timeout?: number | undefined;
}

export type RegisterAction = "created" | "updated" | "deactivated";

function checkedLocation(location: string): string {
  const trimmed = location.trim();
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new FeedpipeError(
      "INVALID_OPTION",
      `Invalid option --location: expected an http(s) URL, got "${redactUrl(trimmed)}"`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new FeedpipeError(
      "INVALID_OPTION",
      `Invalid option --location: expected an http(s) URL, got a ${url.protocol.replace(":", "")} URL`,
    );
  }
  return trimmed;
}

/** A default feed name: the file name in the URL, else the host. */
function defaultName(location: string): string {
  const url = new URL(location);
  const last = decodeURIComponent(url.pathname.split("/").filter(Boolean).pop() ?? "");
  return last || url.host;
}

function sameLocation(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return false;
  }
}

function checkSummary(c: FeedCheckResult): string {
  if (c.records === 0 && c.reason) return `check: refused: ${c.reason}\n`;
  const errors = c.topErrors.map((e) => `${e.code} ×${e.count}`).join(", ");
  const head =
    `check: ${c.records} products (${c.format ?? "?"}, preset ${c.preset ?? "?"}): ${c.valid} valid, ` +
    `${c.invalid} invalid (${c.invalidPercent}%)${errors ? `: ${errors}` : ""}\n`;
  return c.ok ? head : `${head}check: refused: ${c.reason}\n`;
}

function describeResult(action: RegisterAction, feed: CampaignFeed): string {
  return (
    `${action} Partnerize feed ${feed.feedId} on campaign ${feed.campaignId}\n` +
    `  name         ${feed.name}\n` +
    `  location     ${redactUrl(feed.location)}\n` +
    `  active       ${feed.active ? "y" : "n"}\n` +
    `  fetch every  ${formatFrequency(feed.fetchFrequency)}\n`
  );
}

export function registerRegisterPartnerize(parent: Command, ctx: CliContext): void {
  const cmd = parent
    .command("partnerize")
    .description("register a hosted feed URL on a Partnerize campaign (create, update or deactivate)")
    .requiredOption("--campaign-id <id>", "Partnerize campaign id")
    .requiredOption("--location <url>", "URL of the hosted feed (its unique identifier at Partnerize)")
    .option("--name <name>", "feed name (default on create: the file name in the URL)")
    .option(
      "--fetch-frequency <seconds>",
      "how often Partnerize fetches the feed, in seconds",
      intOption("--fetch-frequency", 1),
    )
    .option("--inactive", 'deactivate the feed (active "n"); Partnerize has no delete')
    .option(
      "--check",
      "read and validate the feed at --location first; refuse if unreadable or mostly invalid",
    )
    .option("--preset <name>", "--check: mapping preset (default auto)")
    .option("--mapping <file>", "--check: mapping file (wins over --preset)")
    .option(
      "--currency <code>",
      "--check: currency for layouts that do not state one (Shopify, WooCommerce, Magento)",
    )
    .option(
      "--base-url <url>",
      "--check: store URL for layouts without product URLs (Shopify, WooCommerce, Magento)",
    )
    .option("--decimal-comma", "--check: prices are written 1.234,56 / 12,50")
    .option("--price-with-currency", "--check: prices carry their currency code (15.00 USD)")
    .option(
      "--max-invalid <n|n%>",
      `--check: refuse when more products than this (or this % of them) are invalid (default ${DEFAULT_MAX_INVALID_PERCENT}%)`,
      maxInvalidOption,
    )
    .option("--json", "print the result as JSON")
    .option("-q, --quiet", "no retry notices on stderr")
    .option("--config <file>", "config file (default ./feedpipe.config.json or FEEDPIPE_CONFIG)")
    .option("--timeout <ms>", "HTTP connect/response timeout", intOption("--timeout", 1))
    .addOption(rateOptions()[0]!)
    .addOption(rateOptions()[1]!)
    .addHelpText(
      "after",
      `
A feed whose location is already registered on the campaign is updated; otherwise one is created.
Locations cannot change: to move a feed, deactivate the old location and register the new one.

Environment: PARTNERIZE_APPLICATION_KEY, PARTNERIZE_USER_API_KEY, PARTNERIZE_API_URL (default https://api.partnerize.com)
Exit codes: 0 registered, 1 refused by --check, 2 fatal (usage, config, auth, API error).

Examples:
  $ feedpipe register partnerize --campaign-id 10l176 --location https://shop.example/feed.xml --check
  $ feedpipe register partnerize --campaign-id 10l176 --location https://shop.example/feed.xml --inactive`,
    );
  addLockOptions(cmd);
  cmd.action(async (flags: RegisterFlags) => {
    const campaignId = flags.campaignId.trim();
    if (!campaignId)
      throw new FeedpipeError("INVALID_OPTION", "Invalid option --campaign-id: expected an id, got nothing");
    const location = checkedLocation(flags.location);
    const client = partnerizeClientFor(
      ctx,
      flags,
      "feedpipe register partnerize",
      partnerizeRates(ctx, flags, flags.quiet === true || flags.json === true),
    );

    let check: FeedCheckResult | undefined;
    if (flags.check && flags.inactive) {
      if (!flags.quiet && !flags.json) ctx.err("feedpipe: --check skipped: the feed is being deactivated\n");
    } else if (flags.check) {
      // Loaded on demand: the ingest and mapping stack is only needed for --check.
      const { checkFeed } = await import("../../jobs/check-feed.js");
      check = await checkFeed(location, {
        preset: flags.preset,
        mapping: flags.mapping,
        pipeline: {
          currency: flags.currency,
          baseUrl: flags.baseUrl,
          decimalComma: flags.decimalComma === true,
          priceWithCurrency: flags.priceWithCurrency === true,
        },
        maxInvalid: flags.maxInvalid,
        timeoutMs: flags.timeout,
        headers: client.downloadHeaders(location),
        signal: ctx.io.signal,
      });
      if (!check.ok) {
        if (flags.json) {
          ctx.out(
            `${JSON.stringify({ action: "refused", campaignId, location: redactUrl(location), check }, null, 2)}\n`,
          );
        } else {
          ctx.err(checkSummary(check));
          ctx.err(`feedpipe: not registered: ${check.reason}\n`);
        }
        ctx.exitCode = EXIT_INVALID;
        return;
      }
      if (!flags.json) ctx.out(checkSummary(check));
    }

    const config = loadConfig({ env: ctx.io.env, cwd: ctx.io.cwd, configPath: flags.config });
    const lock = await takeRunLock(
      ctx,
      resolve(ctx.io.cwd, config.statePath),
      `partnerize:${campaignId}`,
      "register partnerize",
      flags.wait,
    );
    try {
      const call = { signal: ctx.io.signal };
      const existing = (await client.listCampaignFeeds(campaignId, call)).find((f) =>
        sameLocation(f.location, location),
      );
      let action: RegisterAction;
      let feed: CampaignFeed;
      if (existing) {
        feed = await client.updateCampaignFeed(
          campaignId,
          existing.feedId,
          {
            name: flags.name,
            active: !flags.inactive,
            fetchFrequency: flags.fetchFrequency,
          },
          call,
        );
        action = flags.inactive ? "deactivated" : "updated";
      } else if (flags.inactive) {
        // Partnerize has no delete and a location can never change: creating a feed only to
        // deactivate it (a typo in --location) would use that location up for good.
        throw new FeedpipeError(
          "USAGE",
          `Campaign ${campaignId} has no feed at ${redactUrl(location)}: nothing to deactivate ` +
            `(\`feedpipe feeds partnerize --campaign-id ${campaignId}\` lists its feeds; register it without --inactive to create it)`,
          { context: { campaignId } },
        );
      } else {
        feed = await client.createCampaignFeed(
          campaignId,
          {
            location,
            name: flags.name ?? defaultName(location),
            active: !flags.inactive,
            fetchFrequency: flags.fetchFrequency,
          },
          call,
        );
        action = "created";
      }
      if (flags.json) {
        ctx.out(
          `${JSON.stringify({ action, campaignId, feed: campaignFeedJson(feed), check: check ?? null }, null, 2)}\n`,
        );
      } else {
        ctx.out(describeResult(action, feed));
      }
    } finally {
      await lock.release();
    }
  });
}
