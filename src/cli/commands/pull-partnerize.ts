/**
 * `feedpipe pull partnerize`: download the Partnerize feeds available to a partner and export
 * their valid products, each row carrying campaign_id, campaign_title and feed_id.
 *
 * `-o FILE` (or `-`) writes one output with every feed; `-o DIR/` (trailing slash, or an existing
 * directory) writes one file per feed, `<campaign_id>-<feed_id>.<ext>`. A feed that fails to
 * download or parse is reported and exports nothing; the others still export.
 *
 * Exit codes: 0 every feed exported with no rejected product; 1 some products were rejected or
 * some (not all) feeds failed; 2 fatal: every selected feed failed or none was available, or a
 * usage, config, auth or output error.
 */
import { resolve } from "node:path";
import type { Command } from "commander";
import { Option } from "commander";
import { FeedpipeError } from "../../core/errors.js";
import { openRejects } from "../../jobs/rejects.js";
import type { OutputFormat } from "../../formats/types.js";
import { formatFromPath, OUTPUT_FORMATS } from "../../formats/writers/index.js";
import { assertDistinctFiles } from "../../io/output-target.js";
import type { FeedPullResult, PartnerizePullResult } from "../../jobs/pull-partnerize.js";
import { type CliContext, EXIT_FATAL, EXIT_INVALID, EXIT_OK } from "../context.js";
import { intOption } from "../options.js";
import { maskedNotice, oneLine } from "../terminal.js";
import { partnerizeClientFor, partnerizeRates } from "../partnerize.js";
import { networkText, type RateFlags, rateOptions, rateStatus } from "../rate.js";
import { createProgress, formatCount, type Progress, progressEnabled } from "../progress.js";

interface PullFlags extends RateFlags {
  publisherId: string;
  campaignId?: string | undefined;
  feedId?: string[] | undefined;
  output: string;
  to?: OutputFormat | undefined;
  preset?: string | undefined;
  mapping?: string | undefined;
  currency?: string | undefined;
  baseUrl?: string | undefined;
  decimalComma?: boolean | undefined;
  priceWithCurrency?: boolean | undefined;
  json?: boolean | undefined;
  quiet?: boolean | undefined;
  config?: string | undefined;
  timeout?: number | undefined;
  rejects?: string | undefined;
}

function collect(value: string, previous: string[] | undefined): string[] {
  const parts = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return [...(previous ?? []), ...parts];
}

function feedLine(r: FeedPullResult): string {
  // The ids, name and title are the server's: one line each, whatever they hold.
  const id = oneLine(`${r.campaignId}/${r.feedId}`);
  const what = oneLine(`${r.name}${r.campaignTitle ? ` (${r.campaignTitle})` : ""}`);
  if (r.status === "failed") {
    const read = r.records > 0 ? ` after reading ${formatCount(r.records)} records, none exported` : "";
    return `  ${id}  ${what}: FAILED${read} [${r.error?.code ?? "?"}] ${r.error?.message ?? ""}\n`;
  }
  const kind = `${r.format ?? "?"}${r.compression && r.compression !== "none" ? `+${r.compression}` : ""}`;
  let line =
    `  ${id}  ${what}: ${kind}, preset ${r.preset ?? "?"}: ${formatCount(r.records)} products, ` +
    `${formatCount(r.exported)} exported, ${formatCount(r.rejected)} rejected` +
    (r.output ? ` → ${r.output}` : "") +
    "\n";
  for (const rule of r.rejections.slice(0, 3)) {
    line += `      ${rule.code} ×${rule.count}${rule.example ? `, first at ${oneLine(rule.example)}` : ""}\n`;
  }
  if (r.rejections.length > 3) line += `      … and ${r.rejections.length - 3} more rules\n`;
  return line;
}

function summary(result: PartnerizePullResult, output: string, perFeed: boolean): string {
  const ok = result.feeds.length - result.failedFeeds;
  const where =
    output !== "-" && result.outputs.length === 0
      ? "nothing written"
      : perFeed
        ? `${output} (one ${result.format} file per feed)`
        : `${output === "-" ? "stdout" : output} (${result.format})`;
  let text =
    `pulled ${ok} of ${result.feeds.length} Partnerize feed${result.feeds.length === 1 ? "" : "s"} ` +
    `for partner ${result.publisherId} → ${where}\n`;
  for (const r of result.feeds) text += feedLine(r);
  text += `exported ${formatCount(result.exported)} products; ${formatCount(result.rejected)} rejected`;
  text +=
    result.failedFeeds > 0
      ? `; ${result.failedFeeds} feed${result.failedFeeds === 1 ? "" : "s"} failed\n`
      : "\n";
  return text;
}

export function registerPullPartnerize(parent: Command, ctx: CliContext): void {
  parent
    .command("partnerize")
    .description("download the Partnerize feeds available to a partner and export their products")
    .requiredOption("--publisher-id <id>", "partner (publisher) id")
    .option("--campaign-id <id>", "only this campaign's feeds")
    .option(
      "--feed-id <id>",
      "only this feed (campaign_feeds_id); repeat or comma-separate for several",
      collect,
    )
    .requiredOption("-o, --output <path>", "output file, - for stdout, or DIR/ for one file per feed")
    .addOption(
      new Option("--to <format>", "output format (default: from the file extension, else csv)").choices([
        ...OUTPUT_FORMATS,
      ]),
    )
    .option("--preset <name>", "mapping preset for every feed (default: detected per feed)")
    .option("--mapping <file>", "mapping file for every feed (wins over --preset)")
    .option("--currency <code>", "currency for layouts that do not state one (Shopify, WooCommerce, Magento)")
    .option("--base-url <url>", "store URL for layouts without product URLs (Shopify, WooCommerce, Magento)")
    .option("--decimal-comma", "prices are written 1.234,56 / 12,50")
    .option("--price-with-currency", "prices carry their currency code (15.00 USD): read both from the price")
    .option("--rejects <file>", "write every rejected product (issues + original fields) as NDJSON")
    .option("--json", "print the run summary as JSON on stdout")
    .option("-q, --quiet", "no progress or retry notices on stderr")
    .option("--config <file>", "config file (default ./feedpipe.config.json or FEEDPIPE_CONFIG)")
    .option("--timeout <ms>", "HTTP connect/response timeout", intOption("--timeout", 1))
    .addOption(rateOptions()[0]!)
    .addOption(rateOptions()[1]!)
    .addHelpText(
      "after",
      `
Columns: sku, name, url, image, price, currency, description, category, old_price, brand, gtin, mpn,
availability, campaign_id, campaign_title, feed_id.

Each feed is downloaded from location_compressed (gzip) when listed, else location; its format is
detected. A feed that fails is reported and exports nothing; the others still export.

Environment: PARTNERIZE_APPLICATION_KEY, PARTNERIZE_USER_API_KEY, PARTNERIZE_API_URL (default https://api.partnerize.com)
Exit codes: 0 all feeds exported, no rejected products; 1 rejected products or some feeds failed;
2 all feeds failed, no feed available, or a fatal error (usage, config, auth, output).

Examples:
  $ feedpipe pull partnerize --publisher-id 1l1007802 -o products.csv
  $ feedpipe pull partnerize --publisher-id 1l1007802 --campaign-id 10l176 -o feeds/ --to ndjson`,
    )
    .action(async (flags: PullFlags) => {
      const publisherId = flags.publisherId.trim();
      if (!publisherId)
        throw new FeedpipeError(
          "INVALID_OPTION",
          "Invalid option --publisher-id: expected an id, got nothing",
        );
      // Loaded on demand: the ingest, mapping and writer stack is only needed when pulling.
      const { isDirectoryTarget, pullPartnerizeFeeds } = await import("../../jobs/pull-partnerize.js");
      const output = flags.output;
      // Written relative to the command's working directory (a DIR/ keeps its trailing slash).
      const target = output === "-" ? "-" : resolve(ctx.io.cwd, output) + (/[\\/]$/.test(output) ? "/" : "");
      const perFeed = await isDirectoryTarget(target);
      if (flags.json && output === "-") {
        throw new FeedpipeError(
          "USAGE",
          "--json prints the summary on stdout: write the products to a file (-o FILE or DIR/)",
        );
      }
      const format: OutputFormat = flags.to ?? (perFeed ? undefined : formatFromPath(output)) ?? "csv";
      // With products on stdout, everything else goes to stderr.
      const say = output === "-" ? ctx.err : ctx.out;
      const showProgress = progressEnabled(ctx.io, flags.quiet === true);

      const rates = partnerizeRates(ctx, flags, flags.quiet === true || flags.json === true);
      const client = partnerizeClientFor(ctx, flags, "feedpipe pull partnerize", rates);

      if (
        flags.rejects !== undefined &&
        (flags.rejects === output || (flags.rejects === "-" && flags.json))
      ) {
        throw new FeedpipeError(
          "USAGE",
          flags.rejects === output
            ? "--rejects and --output must be different files"
            : "--rejects - and --json would both write to stdout",
        );
      }
      if (!perFeed)
        await assertDistinctFiles(
          [
            ["--output", output],
            ["--rejects", flags.rejects],
          ],
          ctx.io.cwd,
        );
      const rejects = flags.rejects
        ? await openRejects(resolve(ctx.io.cwd, flags.rejects), { stdout: ctx.io.stdout })
        : undefined;
      let progress: Progress | undefined;
      let result: PartnerizePullResult;
      try {
        result = await pullPartnerizeFeeds({
          client,
          publisherId,
          campaignId: flags.campaignId?.trim() || undefined,
          feedIds: flags.feedId,
          output: target,
          perFeed,
          format,
          preset: flags.preset,
          mapping: flags.mapping,
          pipeline: {
            currency: flags.currency,
            baseUrl: flags.baseUrl,
            decimalComma: flags.decimalComma === true,
            priceWithCurrency: flags.priceWithCurrency === true,
          },
          timeoutMs: flags.timeout,
          rates,
          stdout: ctx.io.stdout,
          secrets: ctx.secrets,
          signal: ctx.io.signal,
          rejects,
          onFeedStart: (feed, info) => {
            progress?.done();
            progress = createProgress({
              stream: ctx.io.stderr,
              enabled: showProgress,
              unit: "bytes",
              total: info.size,
              label: `${feed.campaignId}/${feed.feedId}`,
              status: () => rateStatus(rates),
            });
          },
          onProgress: (delta) => progress?.update(delta),
          onFeedDone: (r) => {
            progress?.done();
            progress = undefined;
            if (r.status === "failed" && !flags.quiet && !flags.json) {
              ctx.err(
                `feedpipe: feed ${r.campaignId}/${r.feedId} failed: [${r.error?.code}] ${r.error?.message}\n`,
              );
            }
          },
        });
        await rejects?.commit();
      } catch (err) {
        progress?.done();
        await rejects?.abort();
        throw err;
      }
      progress?.done();
      ctx.final();
      if (result.masked > 0) ctx.err(maskedNotice(result.masked));

      if (result.feeds.length === 0) {
        const scope = flags.campaignId ? ` on campaign ${flags.campaignId}` : "";
        if (flags.json) ctx.out(`${JSON.stringify({ ...result, outputs: [] }, null, 2)}\n`);
        else
          ctx.err(
            `feedpipe: no active feeds are available to partner ${publisherId}${scope}; nothing written\n`,
          );
        ctx.exitCode = EXIT_FATAL;
        return;
      }
      const network = networkText(rates);
      if (flags.json) ctx.out(`${JSON.stringify({ ...result, network: network.summary }, null, 2)}\n`);
      else say(`${summary(result, output, perFeed)}  network: ${network.line}\n`);

      if (result.failedFeeds === result.feeds.length) ctx.exitCode = EXIT_FATAL;
      else if (result.failedFeeds > 0 || result.rejected > 0) ctx.exitCode = EXIT_INVALID;
      else ctx.exitCode = EXIT_OK;
    });
}
