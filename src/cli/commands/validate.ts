/**
 * `feedpipe validate <source>`: map and check a feed; print a summary with a table of rules (or one
 * JSON object with --report json); optionally write the rejected records to an NDJSON file.
 *
 * Exit codes: 0 no invalid record (or no more than --max-invalid), 1 invalid records, 2 fatal.
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import {
  loadPipeline,
  type Pipeline,
  type PipelineOptions,
  type ProcessedFeed,
  type RunReport,
} from "../../jobs/pipeline.js";
import { FeedpipeError } from "../../core/errors.js";
import { openRejects, type RejectsWriter } from "../../jobs/rejects.js";
import { formatReportText } from "../../core/report.js";
import { type Feed, openFeed } from "../../formats/index.js";
import { assertDistinctFiles } from "../../io/output-target.js";
import { PRESET_NAMES, TRANSFORM_NAMES } from "../../../transforms/index.js";
import { jsonExtras } from "../../jobs/report/model.js";
import { type CliContext, EXIT_INVALID, EXIT_OK } from "../context.js";
import { checkHtmlFlag, reportCollector, writeHtmlFlag } from "../html-report.js";
import { addInputOptions, feedOptions, type InputFlags } from "../options.js";
import { createProgress, type Progress, progressEnabled } from "../progress.js";
import { throwIfAborted } from "../../core/abort.js";
import { type MaxInvalid, parseMaxInvalid, withinMaxInvalid } from "../../core/max-invalid.js";
import { youngGenerationTick } from "../young-generation.js";

/** `--max-invalid` for commander: the one parser (core/max-invalid.ts), as a usage error. */
export function maxInvalidOption(value: string): MaxInvalid {
  try {
    return parseMaxInvalid(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** Flags shared by validate and convert (mapping and checks). */
export interface PipelineFlags extends InputFlags {
  preset?: string | undefined;
  mapping?: string | undefined;
  decimalComma?: boolean | undefined;
  priceWithCurrency?: boolean | undefined;
  baseUrl?: string | undefined;
  mediaUrl?: string | undefined;
  currency?: string | undefined;
  dedupe?: boolean | undefined;
  rejects?: string | undefined;
  html?: string | undefined;
  maxInvalid?: MaxInvalid | undefined;
  quiet?: boolean | undefined;
}

/** Add the mapping/validation options shared by validate and convert. */
export function addPipelineOptions(cmd: Command): Command {
  return addInputOptions(cmd)
    .option("--preset <name>", `source layout: auto (default) or ${PRESET_NAMES.join(", ")}`)
    .option("--mapping <file>", "JSON or YAML mapping file for other layouts (wins over --preset)")
    .option("--decimal-comma", "prices are written 1.234,56 / 12,50")
    .option("--price-with-currency", "prices carry their currency code (15.00 USD): read both from the price")
    .option("--base-url <url>", "store URL for layouts without product URLs (Shopify, WooCommerce, Magento)")
    .option(
      "--media-url <url>",
      "base URL of relative image paths (Magento; default <base-url>/media/catalog/product)",
    )
    .option("--currency <code>", "currency for layouts that do not state one (Shopify, WooCommerce, Magento)")
    .option("--no-dedupe", "do not reject later occurrences of a SKU")
    .option("--rejects <file>", "write every rejected record (issues + original fields) as NDJSON")
    .option("--html <file>", "also write the run as one self-contained HTML report (loads nothing remote)")
    .option(
      "--max-invalid <n|n%>",
      "exit 0 while at most this many (or this % of) records are invalid",
      maxInvalidOption,
    )
    .option("-q, --quiet", "no progress output");
}

export function pipelineOptions(flags: PipelineFlags): PipelineOptions {
  return {
    preset: flags.preset,
    mapping: flags.mapping,
    decimalComma: flags.decimalComma === true,
    priceWithCurrency: flags.priceWithCurrency === true,
    dedupe: flags.dedupe !== false,
    baseUrl: flags.baseUrl,
    mediaBaseUrl: flags.mediaUrl,
    currency: flags.currency,
  };
}

/** A run of the pipeline over one source with progress, rejects file and cleanup on failure. */
export interface CheckedRun {
  feed: Feed;
  processed: ProcessedFeed;
  rejects: RejectsWriter | undefined;
  progress: Progress;
}

/**
 * Open the feed and start the pipeline (the mapping file and options were checked before: `pipeline`
 * comes from loadPipeline). `onBatch` sees each batch; on any failure the rejects file is aborted.
 */
export async function runChecked(
  ctx: CliContext,
  source: string,
  pipeline: Pipeline,
  flags: PipelineFlags,
  label: string,
  onBatch: (batch: Parameters<RejectsWriter["add"]>[0]) => Promise<void> | void,
): Promise<CheckedRun> {
  let pendingBytes = 0;
  const feed = await openFeed(source, {
    ...feedOptions(flags, ctx.io, ctx.err),
    stdin: ctx.io.stdin as NodeJS.ReadableStream,
    onBytes: (n) => {
      pendingBytes += n;
      youngGenerationTick();
    },
  });
  const processed = await pipeline.process(feed);
  const rejects = flags.rejects ? await openRejects(flags.rejects, { stdout: ctx.io.stdout }) : undefined;
  const progress = createProgress({
    stream: ctx.io.stderr,
    enabled: progressEnabled(ctx.io, flags.quiet === true),
    total: feed.size,
    unit: "bytes",
    label,
  });
  const signal = ctx.io.signal;
  try {
    for await (const batch of processed.records) {
      // Ctrl-C / SIGTERM: stop between batches; the caller aborts its outputs (nothing half-written).
      throwIfAborted(signal, `${label} of ${feed.name} was interrupted before the end`, {
        source: feed.name,
      });
      progress.update({ records: batch.length, bytes: pendingBytes });
      pendingBytes = 0;
      if (rejects) await rejects.add(batch);
      await onBatch(batch);
    }
    progress.done();
  } catch (err) {
    progress.done();
    await rejects?.abort();
    throw err;
  }
  return { feed, processed, rejects, progress };
}

interface ValidateFlags extends PipelineFlags {
  report: "text" | "json";
  json?: boolean;
}

export function registerValidate(program: Command, ctx: CliContext): void {
  const cmd = program
    .command("validate")
    .argument("<source>", "feed file, - for stdin, or an http(s) URL (gzip/zip and charsets are detected)")
    .description("map a feed to network products and check every record against the product rules")
    .addOption(new Option("--report <kind>", "summary style").choices(["text", "json"]).default("text"))
    .option("--json", "print the report as one JSON object on stdout (the same as --report json)");
  addPipelineOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Examples:
  $ feedpipe validate catalog.csv
  $ feedpipe validate feed.xml.gz --json > report.json
  $ feedpipe validate products_export.csv --preset shopify --base-url https://shop.example --currency EUR
  $ feedpipe validate export.csv --mapping mapping.yaml --rejects rejects.ndjson --max-invalid 2%
  $ feedpipe validate catalog.csv --html report.html --rejects rejects.ndjson
  $ curl -s https://shop.example/feed.tsv | feedpipe validate - --decimal-comma

Presets: auto (default: picked from the header or XML element names; when none matches, the mapping
is inferred from names and values and printed), ${PRESET_NAMES.join(", ")}. feedpipe mapping init writes it.
Mapping file (JSON or YAML) for other layouts; "preset" (optional) extends a preset:
  {"fields": {"sku": "Variant SKU", "name": {"from": "Title", "transforms": ["trim", "strip_html"]},
   "brand": {"const": "Acme"}, "mpn": {"template": "{Handle}-{Option1 Value}"},
   "price": {"from": "Price", "transforms": [{"number": {"locale": "de"}}]},
   "image": "product.images[0].link"}, "options": {"currency": "EUR"}}
  transforms: ${TRANSFORM_NAMES.join(", ")}
Exit codes: 0 no invalid record (or within --max-invalid), 1 invalid records, 2 fatal error.`,
  );
  cmd.action(async (source: string, flags: ValidateFlags) => {
    if (flags.json) flags.report = "json";
    if (flags.rejects === "-") {
      throw new FeedpipeError(
        "USAGE",
        "validate prints its report on stdout: give --rejects a file name, not -",
      );
    }
    await assertDistinctFiles(
      [
        ["the source", source],
        ["--rejects", flags.rejects],
        ["--html", flags.html],
      ],
      ctx.io.cwd,
    );
    await checkHtmlFlag(flags.html, ctx.io.cwd);
    const pipeline = await loadPipeline(pipelineOptions(flags)); // bad options / mapping: before any I/O
    const collector = reportCollector(
      "validate",
      source,
      !!flags.html || flags.report === "json",
      flags.preset,
    );
    const run = await runChecked(
      ctx,
      source,
      pipeline,
      flags,
      "validate",
      collector?.observe ?? (() => undefined),
    );
    if (run.rejects) await run.rejects.commit();
    const report = run.processed.report();
    const ok = withinMaxInvalid(report, flags.maxInvalid);
    const doc = collector?.finish({
      report,
      pipeline,
      ok,
      bytes: run.feed.size,
      rejectsFile: run.rejects?.path,
    });
    const html = doc ? await writeHtmlFlag(ctx, flags.html, doc) : undefined;
    ctx.final();
    if (flags.report === "json") {
      const out: RunReport & { rejectsFile?: string; ok: boolean } = { ...report, ok };
      if (run.rejects) out.rejectsFile = run.rejects.path;
      ctx.out(`${JSON.stringify(doc ? { ...out, ...jsonExtras(doc) } : out, null, 2)}\n`);
    } else {
      const details: string[] = [];
      if (run.rejects) details.push(`rejects       ${run.rejects.count} written to ${run.rejects.path}`);
      if (html) details.push(`html report   ${html}`);
      let text = formatReportText(report, { title: `feedpipe validate ${report.source}`, details });
      if (report.invalid > 0 && flags.maxInvalid) {
        text += `  ${ok ? "within" : "over"} --max-invalid (${report.invalid} invalid of ${report.records})\n`;
      }
      ctx.out(text);
    }
    ctx.exitCode = ok ? EXIT_OK : EXIT_INVALID;
  });
}
