/**
 * `feedpipe pull partnerboost -o OUT [filters]`: pull a brand's products from the PartnerBoost
 * Publisher API (page by page, pages fetched concurrently but written in page order; or `--bulk`
 * through the download file) and export them as CSV (default), TSV, NDJSON, JSON or Google-style
 * RSS XML, atomically: an interrupted or failed pull leaves no file that looks complete.
 *
 * `--validate` checks every pulled product against the product rules and prints a report (the
 * publisher's view of the brand's feed quality); every product is still exported.
 *
 * Exit codes: 0 pulled and exported (also when --validate found problems), 2 fatal.
 */
import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { compileValidator } from "../../../schemas/validate.js";
import { loadConfig, requireSettings } from "../../core/config.js";
import { FeedpipeError } from "../../core/errors.js";
import { type ExportResult, exportRows } from "../../jobs/pull.js";
import { ReportBuilder, type RunReport, formatReportText } from "../../core/report.js";
import type { OutputFormat, Row } from "../../formats/types.js";
import { formatFromPath, OUTPUT_FORMATS } from "../../formats/writers/index.js";
import {
  bulkPublisherProducts,
  createPublisherClient,
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_PAGES,
  DEFAULT_PAGE_LIMIT,
  MAX_PAGE_LIMIT,
  MIN_DISCOUNTS,
  PRICE_RANGES,
  PUBLISHER_COLUMNS,
  type PublisherProduct,
  type PullStats,
  publisherCandidate,
  publisherRow,
  pullPublisherProducts,
  resolvePublisherFilters,
} from "../../networks/partnerboost/publisher.js";
import { type CliContext, EXIT_OK } from "../context.js";
import { type NetworkSummary, networkLine } from "../../jobs/final-pass.js";
import { intOption } from "../options.js";
import { maskedNotice, oneLine, retryNotice } from "../terminal.js";
import { networkText, type RateFlags, rateOptions, ratesFor, rateStatus } from "../rate.js";
import { createProgress, formatCount, type Progress, progressEnabled } from "../progress.js";

interface PullFlags extends RateFlags {
  output: string;
  brandType?: string | undefined;
  brandId?: string | undefined;
  mcid?: string | undefined;
  keywords?: string | undefined;
  priceRange?: string | undefined;
  minDiscount?: string | undefined;
  limit: number;
  concurrency: number;
  maxPages: number;
  bulk?: boolean | undefined;
  pollInterval: number;
  bulkTimeout: number;
  validate?: boolean | undefined;
  to?: OutputFormat | undefined;
  rawCells?: boolean | undefined;
  title?: string | undefined;
  json?: boolean | undefined;
  quiet?: boolean | undefined;
  config?: string | undefined;
  timeout?: number | undefined;
}

export interface PullSummary {
  command: "pull partnerboost";
  output: string;
  format: OutputFormat;
  mode: PullStats["mode"];
  pages: number;
  products: number;
  duplicates: number;
  malformed: number;
  malformedExamples: string[];
  total: number | null;
  totalLast: number | null;
  match: boolean | null;
  /** No total, and this page brought only products already seen: the pull ended there. */
  repeatedPage: number | null;
  requests: number;
  retries: number;
  /** Requests, rate-limit answers, retries, achieved rate and learned limit of the run. */
  network: NetworkSummary;
  bytes: number;
  download?: { id: string; polls: number } | undefined;
  validation?: RunReport | undefined;
}

function summaryText(s: PullSummary, limit: number, concurrency: number): string {
  const where = s.output === "-" ? "stdout" : s.output;
  const lines = [`feedpipe pull partnerboost → ${where} (${s.format})`];
  if (s.mode === "list") {
    lines.push(`  mode        paged list: ${s.pages} pages of up to ${limit}, concurrency ${concurrency}`);
  } else {
    lines.push(
      `  mode        bulk download ${oneLine(s.download?.id ?? "?")} (ready after ${s.download?.polls ?? "?"} polls)`,
    );
  }
  lines.push(`  products    ${formatCount(s.products)} written`);
  if (s.repeatedPage !== null) {
    lines.push(
      `  stopped     page ${s.repeatedPage} brought only products already seen and no total was given (the server seems to ignore page); stopped there`,
    );
  }
  lines.push(`  duplicates  ${formatCount(s.duplicates)} dropped (same sku and brand_id seen again)`);
  if (s.malformed > 0) {
    const kind = s.mode === "list" ? "list entries that were not products" : "unreadable rows in the file";
    lines.push(`  malformed   ${formatCount(s.malformed)} ${kind}, not exported`);
    for (const e of s.malformedExamples.slice(0, 3)) lines.push(`                ${e}`);
  }
  if (s.total === null) {
    lines.push(`  total       not reported${s.mode === "bulk" ? " (bulk download)" : ""}`);
  } else if (s.totalLast !== null && s.totalLast !== s.total) {
    lines.push(
      `  total       ${formatCount(s.total)} at the start, ${formatCount(s.totalLast)} later (the catalog changed while paging)`,
    );
  } else {
    lines.push(`  total       ${formatCount(s.total)} reported by PartnerBoost`);
  }
  if (s.match === true) lines.push("  match       yes");
  else if (s.match === false) {
    lines.push(
      `  match       no: ${formatCount(s.products)} products written, total ${formatCount(s.total ?? 0)}` +
        " (the catalog may have changed while paging; pull again for a consistent copy)",
    );
  }
  if (s.retries > 0) lines.push(`  retries     ${s.retries} of ${s.requests} requests`);
  if (s.network.requests > 0) lines.push(`  network     ${networkLine(s.network)}`);
  return `${lines.join("\n")}\n`;
}

export function registerPullPartnerboost(parent: Command, ctx: CliContext): void {
  parent
    .command("partnerboost")
    .description("pull products from the PartnerBoost Publisher API (datafeed) and export them")
    .requiredOption("-o, --output <file>", "output file, or - for stdout; written atomically")
    .option("--brand-type <type>", "TikTok, DTC or Walmart")
    .option("--brand-id <id>", "brand id, digits (like 66303); required with --bulk")
    .option("--mcid <mcid>", "brand identifier (like ulike0)")
    .option("--keywords <words>", "keywords")
    .option("--price-range <range>", `one of ${PRICE_RANGES.join(", ")}`)
    .option("--min-discount <percent>", `one of ${MIN_DISCOUNTS.join(", ")}`)
    .option(
      "--limit <n>",
      `products per page, 1..${MAX_PAGE_LIMIT}`,
      intOption("--limit", 1, MAX_PAGE_LIMIT),
      DEFAULT_PAGE_LIMIT,
    )
    .option(
      "--concurrency <n>",
      "pages fetched at once (pages are still written in order)",
      intOption("--concurrency", 1, 64),
      DEFAULT_CONCURRENCY,
    )
    .option(
      "--max-pages <n>",
      "stop with an error (nothing written) rather than page past this",
      intOption("--max-pages", 1),
      DEFAULT_MAX_PAGES,
    )
    .option("--bulk", "request the brand's download file, wait for it, and stream it (needs --brand-id)")
    .option(
      "--poll-interval <ms>",
      "--bulk: first wait between status polls (grows to 30 s)",
      intOption("--poll-interval", 1),
      2000,
    )
    .option(
      "--bulk-timeout <ms>",
      "--bulk: give up when the file is not ready after this long",
      intOption("--bulk-timeout", 1),
      600_000,
    )
    .option(
      "--validate",
      "check every product against the product rules and report problems (still exports all)",
    )
    .addOption(
      new Option("--to <format>", "output format (default: from the file extension, else csv)").choices([
        ...OUTPUT_FORMATS,
      ]),
    )
    .option(
      "--raw-cells",
      "CSV/TSV: do not escape cells starting with = + - @ (formula injection protection)",
    )
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
Columns (CSV order; key order in NDJSON/JSON): ${PUBLISHER_COLUMNS.join(", ")}.
All values are exported as PartnerBoost sends them (prices stay text, e.g. "34.32");
updated_at_iso is updated_at (Unix seconds) as ISO 8601 UTC. XML is Google-style RSS
(sku→g:id, name→title, url→g:link, ...; the other fields as g:<name>).

Pages after the first are fetched concurrently and written in page order. A product seen on two
pages (same sku and brand_id: the catalog moved while paging) is written once; the summary says
how many duplicates were dropped and whether the count matches PartnerBoost's total. Without a
total, a page that brings only products already seen ends the pull (a server ignoring page), and
no pull goes past --max-pages (exit 2, PULL_PAGE_CAP, nothing written).

Environment: PARTNERBOOST_PUBLISHER_TOKEN, PARTNERBOOST_PUBLISHER_API_URL
(default https://app.partnerboost.com/api.php).
Exit codes: 0 pulled and exported — also when --validate reports invalid products (the export
itself succeeded; the report is information about the brand's feed); 2 fatal (usage, config,
auth, network, output).

Examples:
  $ feedpipe pull partnerboost --brand-id 66303 -o products.csv
  $ feedpipe pull partnerboost --brand-type DTC --price-range 75-150 --min-discount 25 -o deals.ndjson
  $ feedpipe pull partnerboost --brand-id 66303 --bulk -o products.xml --validate
  $ feedpipe pull partnerboost --mcid ulike0 -o - | head`,
    )
    .action(async (flags: PullFlags) => {
      // Every option is checked before any I/O.
      const filters = resolvePublisherFilters({
        brandType: flags.brandType,
        brandId: flags.brandId,
        mcid: flags.mcid,
        keywords: flags.keywords,
        priceRange: flags.priceRange,
        minDiscount: flags.minDiscount,
      });
      if (flags.bulk) {
        if (filters.brand_id === undefined) {
          throw new FeedpipeError("USAGE", "--bulk downloads one brand's file: pass --brand-id");
        }
        const others = (
          [
            ["--brand-type", flags.brandType],
            ["--mcid", flags.mcid],
            ["--keywords", flags.keywords],
            ["--price-range", flags.priceRange],
            ["--min-discount", flags.minDiscount],
          ] as const
        ).filter(([, v]) => v !== undefined);
        if (others.length > 0) {
          throw new FeedpipeError(
            "USAGE",
            `--bulk downloads the whole brand: ${others.map(([k]) => k).join(", ")} only apply to paged pulls (drop --bulk)`,
          );
        }
      }
      const output = flags.output;
      if (flags.json && output === "-") {
        throw new FeedpipeError(
          "USAGE",
          "--json prints the summary on stdout: write the products to a file (-o FILE)",
        );
      }
      const format: OutputFormat = flags.to ?? formatFromPath(output) ?? "csv";
      const validate = flags.validate ? compileValidator() : undefined;

      const config = loadConfig({ env: ctx.io.env, cwd: ctx.io.cwd, configPath: flags.config });
      for (const s of config.secrets) ctx.secrets.add(s);
      const { token, apiUrl } = config.partnerboostPublisher;
      requireSettings("feedpipe pull partnerboost", { PARTNERBOOST_PUBLISHER_TOKEN: token });
      const signal = ctx.io.signal;
      const quiet = flags.quiet === true;
      const showProgress = progressEnabled(ctx.io, quiet);
      const rates = ratesFor(ctx, flags);
      const client = createPublisherClient(
        { token: token as string, apiUrl },
        {
          timeoutMs: flags.timeout,
          signal,
          rates,
          onRetry: (e) => {
            if (!quiet) ctx.err(retryNotice(e));
          },
        },
      );

      let progress: Progress | undefined;
      const report = validate
        ? new ReportBuilder({
            source: "PartnerBoost publisher API",
            format: flags.bulk ? "csv (bulk download)" : "json (datafeed list)",
            preset: "partnerboost-publisher",
            presetChosen: "none",
          })
        : undefined;
      let ordinal = 0;

      const pull = flags.bulk
        ? bulkPublisherProducts(client, filters.brand_id as string, {
            pollIntervalMs: flags.pollInterval,
            timeoutMs: flags.bulkTimeout,
            downloadTimeoutMs: flags.timeout,
            signal,
            onRequested: (id) => {
              if (!quiet)
                ctx.err(
                  `feedpipe: requested PartnerBoost download ${oneLine(id)} for brand ${filters.brand_id}; waiting for the file\n`,
                );
            },
            onPoll: (info) => {
              if (showProgress) {
                ctx.io.stderr.write(
                  // The id and status are the server's: escaped like every other line.
                  `\r\x1b[Kdownload ${oneLine(info.id)}: ${oneLine(info.status)} (poll ${info.polls}, ${Math.round(info.elapsedMs / 1000)} s)`,
                );
                if (info.status !== "PENDING") ctx.io.stderr.write("\r\x1b[K");
              }
              if (info.status === "OK") {
                progress = createProgress({
                  stream: ctx.io.stderr,
                  enabled: showProgress,
                  unit: "bytes",
                  label: "download",
                });
              }
            },
            onBytes: (n) => progress?.update({ bytes: n }),
          })
        : pullPublisherProducts(client, filters, {
            limit: flags.limit,
            concurrency: flags.concurrency,
            maxPages: flags.maxPages,
            signal,
            onPage: (info) => {
              progress ??= createProgress({
                stream: ctx.io.stderr,
                enabled: showProgress,
                unit: "records",
                total: info.total,
                label: "pull partnerboost",
                status: () => rateStatus(rates),
              });
              progress.update({ records: info.pageProducts, pages: 1 });
            },
          });

      async function* rows(): AsyncGenerator<Row[]> {
        for await (const batch of pull.products as AsyncIterable<PublisherProduct[]>) {
          const out: Row[] = new Array(batch.length);
          for (let i = 0; i < batch.length; i++) {
            const p = batch[i] as PublisherProduct;
            out[i] = publisherRow(p);
            if (validate && report) {
              const r = validate(publisherCandidate(p));
              report.add({
                source: "PartnerBoost",
                index: ++ordinal,
                sku: p.sku || undefined,
                product: r.product,
                issues: r.issues,
              });
            }
          }
          if (flags.bulk) progress?.update({ records: batch.length });
          yield out;
        }
      }

      let result: ExportResult;
      try {
        result = await exportRows(rows(), {
          target: output === "-" ? "-" : resolve(ctx.io.cwd, output),
          format,
          columns: [...PUBLISHER_COLUMNS],
          protectFormulas: flags.rawCells !== true,
          title: flags.title ?? "PartnerBoost products",
          stdout: ctx.io.stdout,
          secrets: ctx.secrets,
          signal,
        });
      } finally {
        progress?.done();
      }
      if (result.masked > 0) ctx.err(maskedNotice(result.masked));
      ctx.final();

      const stats = pull.stats();
      const download =
        "download" in pull ? (pull as ReturnType<typeof bulkPublisherProducts>).download() : undefined;
      const summary: PullSummary = {
        command: "pull partnerboost",
        output,
        format,
        mode: stats.mode,
        pages: stats.pages,
        products: stats.products,
        duplicates: stats.duplicates,
        malformed: stats.malformed,
        malformedExamples: stats.malformedExamples,
        total: stats.total ?? null,
        totalLast: stats.totalLast ?? null,
        match: stats.match ?? null,
        repeatedPage: stats.repeatedPage ?? null,
        requests: stats.requests,
        retries: stats.retries,
        network: networkText(rates).summary,
        bytes: result.bytes,
      };
      if (download) summary.download = { id: download.id, polls: download.polls };
      const validation = report?.snapshot();
      if (validation) summary.validation = validation;

      if (flags.json) {
        ctx.out(`${JSON.stringify(summary, null, 2)}\n`);
      } else {
        const say = output === "-" ? ctx.err : ctx.out;
        if (!quiet) say(summaryText(summary, flags.limit, flags.concurrency));
        if (validation) {
          say(
            formatReportText(validation, {
              title: "Feed quality (product rules; every product was exported regardless)",
            }),
          );
        }
      }
      ctx.exitCode = EXIT_OK;
    });
}
