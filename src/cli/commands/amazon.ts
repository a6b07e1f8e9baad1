/**
 * `feedpipe amazon …`: PartnerBoost's Amazon endpoints beside the product pull.
 *
 *   amazon brands [--bids …]                     the brands you are partnered with (all pages)
 *   amazon storefront-links --bids … [--uid U]   storefront tracking links per brand
 *   amazon links --asins … [--country C]         tracking links per ASIN
 *   amazon link-status <file|->                  which promotion links are still live (amazon-link-status.ts)
 *
 * Each prints a table (or `-o FILE` in CSV/TSV/NDJSON/JSON, or `--json`). Ids PartnerBoost lists in
 * `error_list` are reported with its (escaped) message. Exit codes: 0 ok; 1 some ids got no link;
 * 2 fatal.
 */
import type { Command } from "commander";
import type { Row } from "../../formats/types.js";
import {
  ASIN,
  type AmazonClient,
  type AmazonItem,
  BRAND_ID,
  checkCountry,
  chunks,
  DEFAULT_LINK_BATCH,
  idList,
  invalidOption,
  MAX_LINK_BATCH,
} from "../../networks/partnerboost/amazon.js";
import { safeText } from "../../networks/partnerboost/values.js";
import { type CliContext, EXIT_INVALID, EXIT_OK } from "../context.js";
import { intOption } from "../options.js";
import {
  type AmazonCommonFlags,
  addAmazonOutputOptions,
  amazonClientFor,
  checkJsonTarget,
  checkUid,
  textTable,
  writeRows,
} from "../partnerboost-amazon.js";
import { registerAmazonLinkStatus } from "./amazon-link-status.js";

/** The server's error_list entries, escaped for printing. */
function failures(errors: AmazonItem[], idKey: string): { id: string; message: string }[] {
  return errors.map((e) => ({
    id: safeText(e[idKey] ?? "", 80),
    message: safeText(e.message || "no message"),
  }));
}

/** Print or write the rows, then the failures; set the exit code. */
async function finish(
  ctx: CliContext,
  flags: AmazonCommonFlags,
  result: {
    command: string;
    columns: string[];
    rows: Row[];
    failed: { id: string; message: string }[];
    title: string;
  },
): Promise<void> {
  const { rows, failed, columns } = result;
  if (flags.output !== undefined) {
    const written = await writeRows(ctx, rows, {
      output: flags.output,
      to: flags.to,
      columns,
      title: result.title,
    });
    if (!flags.json && !flags.quiet) {
      (flags.output === "-" ? ctx.err : ctx.out)(
        `feedpipe ${result.command} → ${flags.output === "-" ? "stdout" : flags.output} (${written.format}): ${rows.length} rows\n`,
      );
    }
  }
  if (flags.json) {
    ctx.out(
      `${JSON.stringify({ command: result.command, count: rows.length, results: rows, errors: failed }, null, 2)}\n`,
    );
  } else if (flags.output === undefined) {
    ctx.out(rows.length > 0 ? textTable(rows, columns) : "(none)\n");
  }
  if (!flags.json && failed.length > 0) {
    ctx.err(`feedpipe: ${failed.length} without a link:\n`);
    for (const f of failed) ctx.err(`  ${f.id}: ${f.message}\n`);
  }
  ctx.exitCode = failed.length > 0 ? EXIT_INVALID : EXIT_OK;
}

/** Items of `answers` in request order, one row per item (fields as `columns`). */
function rowsOf(items: AmazonItem[], columns: string[]): Row[] {
  return items.map((i) => Object.fromEntries(columns.map((c) => [c, i[c] ?? ""])));
}

async function inBatches(
  ids: string[],
  size: number,
  call: (batch: string[]) => Promise<{ items: AmazonItem[]; errors: AmazonItem[] }>,
): Promise<{ items: AmazonItem[]; errors: AmazonItem[] }> {
  const items: AmazonItem[] = [];
  const errors: AmazonItem[] = [];
  for (const batch of chunks(ids, size)) {
    const answer = await call(batch);
    items.push(...answer.items);
    errors.push(...answer.errors);
  }
  return { items, errors };
}

const BRAND_COLUMNS = ["bid", "brand_name", "support_storefront_link"];
const STOREFRONT_COLUMNS = ["bid", "brand_name", "storefront_link", "storefront_short_link", "link_id"];
const ASIN_LINK_COLUMNS = ["asin", "country_code", "link", "partnerboost_link", "link_id"];

async function allBrands(client: AmazonClient, bids: string[]): Promise<AmazonItem[]> {
  const out: AmazonItem[] = [];
  const seen = new Set<string>();
  for (let page = 1; page <= 1000; page++) {
    const answer = await client.joinedBrands(bids, page, 100);
    let fresh = 0;
    for (const b of answer.brands) {
      if (seen.has(b.bid ?? "")) continue;
      seen.add(b.bid ?? "");
      out.push(b);
      fresh++;
    }
    // hasMore false, an empty page, or a page of nothing new (a server ignoring page) ends it.
    if (answer.hasMore !== true || fresh === 0) break;
  }
  return out;
}

export function registerAmazon(program: Command, ctx: CliContext): Command {
  const amazon = program
    .command("amazon")
    .description(
      "PartnerBoost's Amazon endpoints: partnered brands, storefront and product links, link status",
    );

  addAmazonOutputOptions(
    amazon
      .command("brands")
      .description("list the Amazon brands you are partnered with")
      .option("--bids <list>", "only these brand ids, comma-separated"),
  )
    .addHelpText(
      "after",
      `
Columns: ${BRAND_COLUMNS.join(", ")}.
Examples:
  $ feedpipe amazon brands
  $ feedpipe amazon brands --json
  $ feedpipe amazon brands -o brands.csv`,
    )
    .action(async (flags: AmazonCommonFlags & { bids?: string }) => {
      const bids = idList("--bids", flags.bids, BRAND_ID, "brand ids of digits, comma-separated");
      checkJsonTarget(flags.json, flags.output);
      const client = amazonClientFor(ctx, flags, "feedpipe amazon brands");
      const brands = await allBrands(client, bids);
      await finish(ctx, flags, {
        command: "amazon brands",
        columns: BRAND_COLUMNS,
        rows: rowsOf(brands, BRAND_COLUMNS),
        failed: [],
        title: "PartnerBoost Amazon brands",
      });
    });

  addAmazonOutputOptions(
    amazon
      .command("storefront-links")
      .description("storefront tracking links for brands")
      .requiredOption("--bids <list>", "brand ids, comma-separated")
      .option("--uid <uid>", "your sub-id, carried in the links")
      .option(
        "--batch <n>",
        `brand ids per request, 1..${MAX_LINK_BATCH}`,
        intOption("--batch", 1, MAX_LINK_BATCH),
        DEFAULT_LINK_BATCH,
      ),
  )
    .addHelpText(
      "after",
      `
Columns: ${STOREFRONT_COLUMNS.join(", ")}. Brands PartnerBoost cannot link are listed on stderr
with its message (exit 1).
Examples:
  $ feedpipe amazon storefront-links --bids 90863,91207
  $ feedpipe amazon storefront-links --bids 90863 --uid spring -o storefronts.csv`,
    )
    .action(async (flags: AmazonCommonFlags & { bids: string; uid?: string; batch: number }) => {
      const bids = idList("--bids", flags.bids, BRAND_ID, "brand ids of digits, comma-separated");
      if (bids.length === 0) throw invalidOption("--bids", "at least one brand id", flags.bids);
      const uid = checkUid(flags.uid);
      checkJsonTarget(flags.json, flags.output);
      const client = amazonClientFor(ctx, flags, "feedpipe amazon storefront-links");
      const answer = await inBatches(bids, flags.batch, (batch) => client.storefrontLinks(batch, uid));
      await finish(ctx, flags, {
        command: "amazon storefront-links",
        columns: STOREFRONT_COLUMNS,
        rows: rowsOf(answer.items, STOREFRONT_COLUMNS),
        failed: failures(answer.errors, "bid"),
        title: "PartnerBoost Amazon storefront links",
      });
    });

  addAmazonOutputOptions(
    amazon
      .command("links")
      .description("tracking links for ASINs")
      .requiredOption("--asins <list>", "ASINs, comma-separated")
      .option("--country <code>", "marketplace country code", "US")
      .option("--uid <uid>", "your sub-id, carried in the links")
      .option("--partnerboost-link", "also ask for PartnerBoost's short link")
      .option(
        "--batch <n>",
        `ASINs per request, 1..${MAX_LINK_BATCH}`,
        intOption("--batch", 1, MAX_LINK_BATCH),
        DEFAULT_LINK_BATCH,
      ),
  )
    .addHelpText(
      "after",
      `
Columns: ${ASIN_LINK_COLUMNS.join(", ")}. ASINs PartnerBoost cannot link are listed on stderr
with its message (exit 1).
Examples:
  $ feedpipe amazon links --asins B0CQT26VCW,B0CQT1JGQQ
  $ feedpipe amazon links --asins B0CQT26VCW --country DE --partnerboost-link --json`,
    )
    .action(
      async (
        flags: AmazonCommonFlags & {
          asins: string;
          country: string;
          uid?: string;
          partnerboostLink?: boolean;
          batch: number;
        },
      ) => {
        const asins = idList("--asins", flags.asins, ASIN, "ASINs of 10 letters or digits, comma-separated", {
          upper: true,
        });
        if (asins.length === 0) throw invalidOption("--asins", "at least one ASIN", flags.asins);
        const countryCode = checkCountry(flags.country);
        const uid = checkUid(flags.uid);
        checkJsonTarget(flags.json, flags.output);
        const client = amazonClientFor(ctx, flags, "feedpipe amazon links");
        const answer = await inBatches(asins, flags.batch, (batch) =>
          client.asinLinks(batch, { countryCode, uid, partnerboostLink: flags.partnerboostLink }),
        );
        const items = answer.items.map((i) => ({ ...i, country_code: i.country_code || countryCode }));
        await finish(ctx, flags, {
          command: "amazon links",
          columns: ASIN_LINK_COLUMNS,
          rows: rowsOf(items, ASIN_LINK_COLUMNS),
          failed: failures(answer.errors, "asin"),
          title: "PartnerBoost Amazon links",
        });
      },
    );

  registerAmazonLinkStatus(amazon, ctx);
  return amazon;
}
