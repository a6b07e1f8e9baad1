/**
 * `feedpipe diff <old> <new>`: read and map both feeds like validate (they may be in different
 * formats), join by SKU through a temporary SQLite database, compare field by field; print the
 * counts, the per-field changes and the price moves; `-o changes.csv` lists one row per change.
 *
 * Exit codes like diff(1): 0 no differences, 1 differences, 2 trouble (usage, I/O, unreadable feed).
 */
import { resolve } from "node:path";
import type { Command } from "commander";
import { FeedpipeError } from "../../core/errors.js";
import { loadPipeline } from "../../jobs/pipeline.js";
import { openFeed } from "../../formats/index.js";
import { createWriter } from "../../formats/writers/index.js";
import { type Output, openOutput, writeBatch } from "../../io/output.js";
import { assertDistinctFiles } from "../../io/output-target.js";
import { diffFeeds } from "../../jobs/diff/diff.js";
import { diffJson, formatDiffText, renderDiffHtml } from "../../jobs/diff/present.js";
import { relativeHref } from "../../jobs/report/escape.js";
import { PRESET_NAMES } from "../../../transforms/index.js";
import { type CliContext, EXIT_INVALID, EXIT_OK } from "../context.js";
import { checkHtmlFlag } from "../html-report.js";
import { addInputOptions, feedOptions, type InputFlags } from "../options.js";
import { createProgress, progressEnabled } from "../progress.js";
import { VERSION } from "../version.js";

interface DiffFlags extends InputFlags {
  preset?: string | undefined;
  mapping?: string | undefined;
  decimalComma?: boolean | undefined;
  priceWithCurrency?: boolean | undefined;
  baseUrl?: string | undefined;
  mediaUrl?: string | undefined;
  currency?: string | undefined;
  output?: string | undefined;
  json?: boolean | undefined;
  html?: string | undefined;
  quiet?: boolean | undefined;
}

export function registerDiff(program: Command, ctx: CliContext): void {
  const cmd = program
    .command("diff")
    .argument("<old>", "the earlier feed (file, - for stdin, or an http(s) URL)")
    .argument("<new>", "the later feed (may be in another format)")
    .description("compare two feeds product by product (joined by SKU, after mapping and normalisation)")
    .option(
      "--preset <name>",
      `source layout of both: auto (default, per feed) or ${PRESET_NAMES.join(", ")}`,
    )
    .option("--mapping <file>", "JSON or YAML mapping file for both feeds (wins over --preset)")
    .option("--decimal-comma", "prices are written 1.234,56 / 12,50")
    .option("--price-with-currency", "prices carry their currency code (15.00 USD): read both from the price")
    .option("--base-url <url>", "store URL for layouts without product URLs")
    .option("--media-url <url>", "base URL of relative image paths (Magento)")
    .option("--currency <code>", "currency for layouts that do not state one")
    .option("-o, --output <file>", "write every change as CSV: sku, change, field, old, new (atomically)")
    .option("--json", "print the result as one JSON object")
    .option("--html <file>", "also write the diff as one self-contained HTML page")
    .option("-q, --quiet", "no progress output");
  addInputOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Examples:
  $ feedpipe diff yesterday.csv today.csv
  $ feedpipe diff old-feed.xml new-export.csv -o changes.csv --html diff.html
  $ feedpipe diff a.ndjson b.ndjson --json | jq .prices

Changes: added (valid product new to the feed), removed (gone), changed (one row per field),
invalid (valid before, rejected now). Prices are compared as numbers; a currency change is not a move.
Exit codes: 0 no differences, 1 differences, 2 trouble (usage, I/O, unreadable feed).`,
  );
  cmd.action(async (oldSpec: string, newSpec: string, flags: DiffFlags) => {
    await checkHtmlFlag(flags.html, ctx.io.cwd);
    if (oldSpec === "-" && newSpec === "-")
      throw new FeedpipeError("USAGE", "only one of the feeds can be stdin (-)");
    if (flags.output === "-" && flags.json)
      throw new FeedpipeError("USAGE", "-o - and --json would both write to stdout");
    // Each feed against the outputs (a feed compared with itself is fine: nothing is written to it).
    for (const [label, spec] of [
      ["the old feed", oldSpec],
      ["the new feed", newSpec],
    ] as const) {
      await assertDistinctFiles(
        [
          [label, spec],
          ["--output", flags.output],
          ["--html", flags.html],
        ],
        ctx.io.cwd,
      );
    }
    const pipeline = await loadPipeline({
      dedupe: false, // the diff's SQLite key finds duplicates without a SKU set in memory
      preset: flags.preset,
      mapping: flags.mapping,
      decimalComma: flags.decimalComma === true,
      priceWithCurrency: flags.priceWithCurrency === true,
      baseUrl: flags.baseUrl,
      mediaBaseUrl: flags.mediaUrl,
      currency: flags.currency,
    });
    const progress = createProgress({
      stream: ctx.io.stderr,
      enabled: progressEnabled(ctx.io, flags.quiet === true || flags.json === true),
      unit: "records",
      label: "diff",
    });
    const writer = createWriter("csv", {
      columns: ["sku", "change", "field", "old", "new"],
      protectFormulas: true,
    });
    let out: Output | undefined;
    try {
      if (flags.output !== undefined) {
        out = await openOutput(flags.output === "-" ? "-" : resolve(ctx.io.cwd, flags.output), {
          stdout: ctx.io.stdout,
          signal: ctx.io.signal,
        });
        await out.write(writer.header());
      }
      const result = await diffFeeds({
        open: async (side) => {
          const spec = side === "old" ? oldSpec : newSpec;
          const feed = await openFeed(spec === "-" ? spec : resolve(ctx.io.cwd, spec), {
            // One thread unless asked: a reader thread's heap would take two 1M feeds past 200 MB.
            ...feedOptions({ ...flags, readThread: flags.readThread ?? "off" }, ctx.io, ctx.err),
            stdin: ctx.io.stdin as NodeJS.ReadableStream,
          });
          return pipeline.process(feed);
        },
        onBatch: (_side, n) => progress.update({ records: n }),
        onChanges: out
          ? (rows) => writeBatch(out!, writer, rows as unknown as Parameters<typeof writeBatch>[2])
          : undefined,
        signal: ctx.io.signal,
      });
      progress.done();
      if (out) {
        await out.write(writer.footer());
        await out.commit();
      }
      const finishedAt = new Date().toISOString();
      let htmlPath: string | undefined;
      if (flags.html !== undefined) {
        htmlPath = resolve(ctx.io.cwd, flags.html);
        const csv =
          flags.output !== undefined && flags.output !== "-"
            ? relativeHref(htmlPath, resolve(ctx.io.cwd, flags.output))
            : undefined;
        const page = await openOutput(htmlPath, { signal: ctx.io.signal });
        try {
          await page.write(renderDiffHtml(result, { version: VERSION, finishedAt, csv }));
          await page.commit();
        } catch (err) {
          await page.abort();
          throw err;
        }
      }
      ctx.final();
      const write = flags.output === "-" ? (t: string) => ctx.err(t) : (t: string) => ctx.out(t);
      if (flags.json) {
        write(
          `${JSON.stringify(diffJson(result, { feedpipe: { version: VERSION, kind: "diff" }, finishedAt }), null, 2)}\n`,
        );
      } else {
        const details: string[] = [];
        if (flags.output !== undefined) {
          details.push(
            `changes     ${result.changes} rows written to ${flags.output === "-" ? "stdout" : flags.output}`,
          );
        }
        if (htmlPath) details.push(`html report ${htmlPath}`);
        write(formatDiffText(result, `feedpipe diff ${oldSpec} ${newSpec}`, details));
      }
      ctx.exitCode = result.differences ? EXIT_INVALID : EXIT_OK;
    } catch (err) {
      progress.done();
      await out?.abort();
      throw err;
    }
  });
}
