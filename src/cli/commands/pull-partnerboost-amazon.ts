/**
 * `feedpipe pull partnerboost-amazon -o OUT [filters…] [--links] [--uid U]`: page through
 * PartnerBoost's Amazon products (pages fetched concurrently, written in page order, duplicates
 * dropped by product_id) and export every documented field flattened, atomically. With `--links`,
 * tracking links are generated in bounded batches and joined in as `link` and `link_id`; products
 * PartnerBoost lists in `error_list` keep an empty link and are listed (with the server's message,
 * escaped) in the summary and in the `--rejects` file.
 *
 * Exit codes: 0 exported; 1 exported, but some products got no link; 2 fatal.
 */
import { resolve } from "node:path";
import { maskedNotice } from "../terminal.js";
import { type Command, Option } from "commander";
import { FeedpipeError } from "../../core/errors.js";
import type { CheckedRecord } from "../../jobs/pipeline.js";
import { type ExportResult, exportRows } from "../../jobs/pull.js";
import { openRejects, type RejectsWriter } from "../../jobs/rejects.js";
import type { OutputFormat, Row } from "../../formats/types.js";
import { formatFromPath, OUTPUT_FORMATS } from "../../formats/writers/index.js";
import {
  AMAZON_COLUMNS,
  AMAZON_LINK_COLUMNS,
  type AmazonProduct,
  type AmazonRowIssue,
  amazonRow,
  DEFAULT_AMAZON_CONCURRENCY,
  DEFAULT_AMAZON_PAGE_SIZE,
  DEFAULT_LINK_BATCH,
  type LinkedProduct,
  MAX_AMAZON_PAGE_SIZE,
  MAX_LINK_BATCH,
  pullAmazonProducts,
  withProductLinks,
} from "../../networks/partnerboost/amazon.js";
import { DEFAULT_MAX_PAGES } from "../../networks/partnerboost/paging.js";
import { safeText } from "../../networks/partnerboost/values.js";
import { DEFAULTS } from "../../core/config.js";
import { type CliContext, EXIT_INVALID, EXIT_OK } from "../context.js";
import { intOption } from "../options.js";
import { amazonClientFor, checkJsonTarget, checkUid } from "../partnerboost-amazon.js";
import { createProgress, formatCount, type Progress, progressEnabled } from "../progress.js";
import { rateOptions } from "../rate.js";

interface Flags {
  output: string;
  country?: string;
  brandId?: string;
  asins?: string;
  sort?: string;
  relationship?: string;
  hasPromoCode?: boolean;
  hasAcc?: boolean;
  originalCurrency?: boolean;
  filterSexualWellness?: boolean;
  defaultFilter?: boolean;
  pageSize: number;
  concurrency: number;
  maxPages: number;
  links?: boolean;
  uid?: string;
  linkBatch: number;
  rejects?: string;
  to?: OutputFormat;
  rawCells?: boolean;
  title?: string;
  json?: boolean;
  quiet?: boolean;
  config?: string;
  timeout?: number;
}

export interface AmazonPullSummary {
  command: "pull partnerboost-amazon";
  output: string;
  format: OutputFormat;
  pages: number;
  products: number;
  duplicates: number;
  malformed: number;
  malformedExamples: string[];
  repeatedPage: number | null;
  /** Values sent that do not read as numbers (their cells are empty). */
  unreadable: number;
  unreadableExamples: string[];
  links: { requested: number; linked: number; failed: number; batches: number } | null;
  /** Products without a link: id, asin and the reason (escaped server text). */
  linkFailures: { product_id: string; asin: string; message: string }[];
  rejects: string | null;
  requests: number;
  retries: number;
  bytes: number;
}

function summaryText(s: AmazonPullSummary): string {
  const where = s.output === "-" ? "stdout" : s.output;
  const lines = [`feedpipe pull partnerboost-amazon → ${where} (${s.format})`];
  lines.push(`  pages       ${s.pages}`);
  lines.push(`  products    ${formatCount(s.products)} written`);
  lines.push(`  duplicates  ${formatCount(s.duplicates)} dropped (same product_id seen again)`);
  if (s.repeatedPage !== null)
    lines.push(`  stopped     page ${s.repeatedPage} brought only products already seen; stopped there`);
  if (s.malformed > 0)
    lines.push(`  malformed   ${formatCount(s.malformed)} list entries that were not products`);
  if (s.unreadable > 0) {
    lines.push(`  unreadable  ${formatCount(s.unreadable)} values that are not numbers (cells left empty)`);
    for (const e of s.unreadableExamples.slice(0, 3)) lines.push(`                ${e}`);
  }
  if (s.links) {
    lines.push(
      `  links       ${formatCount(s.links.linked)} generated in ${s.links.batches} requests; ${formatCount(s.links.failed)} products without a link`,
    );
    for (const f of s.linkFailures.slice(0, 10)) {
      lines.push(`                ${f.product_id || "(no product_id)"} ${f.asin}: ${f.message}`);
    }
    if (s.linkFailures.length > 10) lines.push(`                … ${s.linkFailures.length - 10} more`);
    if (s.rejects) lines.push(`  rejects     ${s.rejects}`);
  }
  if (s.retries > 0) lines.push(`  retries     ${s.retries} of ${s.requests} requests`);
  return `${lines.join("\n")}\n`;
}

function rejectRecord(item: LinkedProduct, row: Row, index: number): CheckedRecord {
  return {
    source: "PartnerBoost Amazon",
    index,
    sku: item.product.product_id || undefined,
    product: undefined,
    issues: [
      { code: "AMAZON_LINK_FAILED", severity: "error", field: "link", message: item.error ?? "no link" },
    ],
    fields: row as CheckedRecord["fields"],
  };
}

export function registerPullPartnerboostAmazon(parent: Command, ctx: CliContext): void {
  parent
    .command("partnerboost-amazon")
    .description("pull PartnerBoost's Amazon products (and, with --links, tracking links) and export them")
    .requiredOption("-o, --output <file>", "output file, or - for stdout; written atomically")
    .option("--country <code>", "marketplace country code (US, DE, UK, JP, CA …)")
    .option("--brand-id <id>", "brand id, digits (like 90863)")
    .option("--asins <list>", "only these ASINs, comma-separated")
    .option("--sort <key>", "sort key, passed to PartnerBoost as given")
    .option("--relationship <n>", "relationship filter, passed as given (PartnerBoost's example: 1)")
    .option("--has-promo-code", "only products with a promo code")
    .option("--has-acc", "only products with an accelerated commission (ACC)")
    .option("--original-currency", "prices in the marketplace's own currency (is_original_currency=1)")
    .option("--filter-sexual-wellness", "leave out sexual-wellness products")
    .option("--default-filter", "PartnerBoost's default filter (default_filter=1)")
    .option(
      "--page-size <n>",
      `products per page, 1..${MAX_AMAZON_PAGE_SIZE}`,
      intOption("--page-size", 1, MAX_AMAZON_PAGE_SIZE),
      DEFAULT_AMAZON_PAGE_SIZE,
    )
    .option(
      "--concurrency <n>",
      "pages fetched at once (written in order)",
      intOption("--concurrency", 1, 64),
      DEFAULT_AMAZON_CONCURRENCY,
    )
    .option(
      "--max-pages <n>",
      "stop with an error (nothing written) rather than page past this",
      intOption("--max-pages", 1),
      DEFAULT_MAX_PAGES,
    )
    .option("--links", "generate a tracking link per product (adds link, link_id)")
    .option("--uid <uid>", "--links: your sub-id, carried in the links")
    .option(
      "--link-batch <n>",
      `--links: product ids per link request, 1..${MAX_LINK_BATCH}`,
      intOption("--link-batch", 1, MAX_LINK_BATCH),
      DEFAULT_LINK_BATCH,
    )
    .option("--rejects <file>", "--links: write every product left without a link (NDJSON, with the reason)")
    .addOption(
      new Option("--to <format>", "output format (default: from the extension, else csv)").choices([
        ...OUTPUT_FORMATS,
      ]),
    )
    .option("--raw-cells", "CSV/TSV: do not escape cells starting with = + - @")
    .option("--title <text>", "XML: channel title")
    .option("--json", "print the run summary as JSON on stdout (needs -o FILE)")
    .option("-q, --quiet", "no progress, retry notices or text summary on stderr")
    .option("--config <file>", "config file (default ./feedpipe.config.json or FEEDPIPE_CONFIG)")
    .option("--timeout <ms>", "HTTP connect/response timeout", intOption("--timeout", 1))
    .addOption(rateOptions()[0]!)
    .addOption(rateOptions()[1]!)
    .addHelpText(
      "after",
      `
Columns: ${AMAZON_COLUMNS.join(", ")}; with --links also link, link_id.
Prices are numbers with a currency column each ("$269.99" → 269.99, USD); percentages are numbers
("10%" → 10); the first promo code's fields are promo_*, with promo_code_count; variant_asin is one
comma-joined cell with variant_count. A value that is not a number leaves its cell empty and is
counted in the summary.

There is no total: pages are followed while has_more says so (up to --concurrency pages ahead);
a page of nothing new ends the pull, and --max-pages caps it (exit 2, nothing written).

Environment: PARTNERBOOST_PUBLISHER_TOKEN, PARTNERBOOST_AMAZON_API_URL
(default ${DEFAULTS.partnerboostAmazonApiUrl}).
Exit codes: 0 exported; 1 exported, but some products got no link (--links); 2 fatal.

Examples:
  $ feedpipe pull partnerboost-amazon --country US -o amazon.csv
  $ feedpipe pull partnerboost-amazon --brand-id 90863 --has-promo-code -o deals.ndjson
  $ feedpipe pull partnerboost-amazon --country DE --links --uid spring -o de.csv --rejects no-link.ndjson`,
    )
    .action(async (flags: Flags) => {
      const uid = checkUid(flags.uid);
      if (!flags.links && (uid !== undefined || flags.rejects !== undefined)) {
        throw new FeedpipeError(
          "USAGE",
          `${uid !== undefined ? "--uid" : "--rejects"} only applies with --links`,
        );
      }
      checkJsonTarget(flags.json, flags.output);
      if (
        flags.rejects !== undefined &&
        (flags.rejects === flags.output || (flags.rejects === "-" && (flags.json || flags.output === "-")))
      ) {
        throw new FeedpipeError(
          "USAGE",
          "--rejects must be another file than the output and the --json summary",
        );
      }
      const format: OutputFormat = flags.to ?? formatFromPath(flags.output) ?? "csv";
      const client = amazonClientFor(ctx, flags, "feedpipe pull partnerboost-amazon");
      const quiet = flags.quiet === true;
      const signal = ctx.io.signal;
      let progress: Progress | undefined;
      const pull = pullAmazonProducts(
        client,
        {
          countryCode: flags.country,
          brandId: flags.brandId,
          asins: flags.asins,
          sort: flags.sort,
          relationship: flags.relationship,
          hasPromoCode: flags.hasPromoCode,
          hasAcc: flags.hasAcc,
          originalCurrency: flags.originalCurrency,
          filterSexualWellness: flags.filterSexualWellness,
          defaultFilter: flags.defaultFilter,
        },
        {
          pageSize: flags.pageSize,
          concurrency: flags.concurrency,
          maxPages: flags.maxPages,
          signal,
          onPage: (info) => {
            progress ??= createProgress({
              stream: ctx.io.stderr,
              enabled: progressEnabled(ctx.io, quiet),
              unit: "records",
              label: "pull partnerboost-amazon",
            });
            progress.update({ records: info.pageProducts, pages: 1 });
          },
        },
      );
      const linked = flags.links
        ? withProductLinks(pull.products, client, { batchSize: flags.linkBatch, uid, signal })
        : undefined;
      const failures: AmazonPullSummary["linkFailures"] = [];
      const issues: AmazonRowIssue[] = [];
      let unreadable = 0;
      const examples: string[] = [];
      let rejects: RejectsWriter | undefined;
      let index = 0;

      async function* rows(): AsyncGenerator<Row[]> {
        const source: AsyncIterable<(LinkedProduct | AmazonProduct)[]> = linked
          ? linked.products
          : pull.products;
        for await (const batch of source) {
          const out: Row[] = [];
          const rejected: CheckedRecord[] = [];
          for (const entry of batch) {
            const item = "product" in entry ? entry : undefined;
            const product = item ? item.product : (entry as AmazonProduct);
            issues.length = 0;
            const row = amazonRow(product, issues);
            index++;
            for (const i of issues) {
              unreadable++;
              if (examples.length < 5)
                examples.push(
                  `${product.product_id || product.asin} ${i.field}: ${JSON.stringify(safeText(i.value, 60))}`,
                );
            }
            if (item) {
              row.link = item.link;
              row.link_id = item.link_id;
              if (item.error !== undefined) {
                failures.push({ product_id: product.product_id, asin: product.asin, message: item.error });
                rejected.push(rejectRecord(item, row, index));
              }
            }
            out.push(row);
          }
          if (rejected.length > 0) await rejects?.add(rejected);
          yield out;
        }
      }

      let result: ExportResult;
      try {
        if (flags.rejects !== undefined) {
          rejects = await openRejects(flags.rejects === "-" ? "-" : resolve(ctx.io.cwd, flags.rejects), {
            stdout: ctx.io.stdout,
            signal,
          });
        }
        result = await exportRows(rows(), {
          target: flags.output === "-" ? "-" : resolve(ctx.io.cwd, flags.output),
          format,
          columns: [...AMAZON_COLUMNS, ...(flags.links ? AMAZON_LINK_COLUMNS : [])],
          protectFormulas: flags.rawCells !== true,
          title: flags.title ?? "PartnerBoost Amazon products",
          stdout: ctx.io.stdout,
          secrets: ctx.secrets,
          signal,
        });
        if (result.masked > 0) ctx.err(maskedNotice(result.masked));
        await rejects?.commit();
      } catch (err) {
        await rejects?.abort();
        throw err;
      } finally {
        progress?.done();
      }
      ctx.final();
      const stats = pull.stats();
      const summary: AmazonPullSummary = {
        command: "pull partnerboost-amazon",
        output: flags.output,
        format,
        pages: stats.pages,
        products: stats.products,
        duplicates: stats.duplicates,
        malformed: stats.malformed,
        malformedExamples: stats.malformedExamples,
        repeatedPage: stats.repeatedPage ?? null,
        unreadable,
        unreadableExamples: examples,
        links: linked ? linked.stats() : null,
        linkFailures: failures,
        rejects: flags.rejects ?? null,
        requests: client.requests,
        retries: client.retries,
        bytes: result.bytes,
      };
      if (flags.json) ctx.out(`${JSON.stringify(summary, null, 2)}\n`);
      else if (!quiet) (flags.output === "-" ? ctx.err : ctx.out)(summaryText(summary));
      ctx.exitCode = failures.length > 0 ? EXIT_INVALID : EXIT_OK;
    });
}
