/**
 * `feedpipe convert <source> -o OUT`: map and check a feed, write the valid normalised products as
 * CSV, TSV, NDJSON, JSON or Google-style RSS XML (by extension or --to), atomically: the output is
 * a temporary file renamed into place on success; a fatal error mid-run removes it, so no
 * complete-looking file is left. CSV/TSV cells that a spreadsheet would run as a formula are
 * escaped unless --raw-cells.
 *
 * Exit codes: 0 no invalid record (or within --max-invalid), 1 invalid records (the valid ones are
 * still written), 2 fatal.
 */
import { type Command, Option } from "commander";
import { PRODUCT_FIELDS } from "../../../schemas/product.js";
import { FeedpipeError } from "../../core/errors.js";
import { loadPipeline } from "../../jobs/pipeline.js";
import { formatReportText } from "../../core/report.js";
import type { OutputFormat, Row } from "../../formats/types.js";
import { createWriter, formatFromPath, OUTPUT_FORMATS } from "../../formats/writers/index.js";
import { type Output, openOutput, writeBatch } from "../../io/output.js";
import { assertDistinctFiles } from "../../io/output-target.js";
import { type CliContext, EXIT_INVALID, EXIT_OK } from "../context.js";
import { checkHtmlFlag, reportCollector, writeHtmlFlag } from "../html-report.js";
import { withinMaxInvalid } from "../../core/max-invalid.js";
import { addPipelineOptions, type PipelineFlags, pipelineOptions, runChecked } from "./validate.js";

interface ConvertFlags extends PipelineFlags {
  output: string;
  to?: OutputFormat | undefined;
  rawCells?: boolean | undefined;
  title?: string | undefined;
  json?: boolean | undefined;
}

export function registerConvert(program: Command, ctx: CliContext): void {
  const cmd = program
    .command("convert")
    .argument("<source>", "feed file, - for stdin, or an http(s) URL")
    .description("map + validate a feed and write the valid products in the network's fields")
    .requiredOption("-o, --output <file>", "output file (- for stdout); written atomically")
    .addOption(
      new Option("--to <format>", "output format (default: from the output file's extension)").choices([
        ...OUTPUT_FORMATS,
      ]),
    )
    .option(
      "--raw-cells",
      "CSV/TSV: do not escape cells starting with = + - @ (formula injection protection)",
    )
    .option("--title <text>", "XML: channel title")
    .option("--json", "print the report as one JSON object on stdout (not with -o -)");
  addPipelineOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Examples:
  $ feedpipe convert catalog.csv -o products.csv
  $ feedpipe convert feed.xml -o products.ndjson --rejects rejects.ndjson
  $ feedpipe convert products_export.csv -o feed.xml --base-url https://shop.example --currency EUR
  $ feedpipe convert export.csv --mapping mapping.yaml -o - --to json | jq length
  $ feedpipe convert catalog.csv -o products.csv --html report.html

Columns: ${PRODUCT_FIELDS.join(", ")}.
Exit codes: 0 no invalid record (or within --max-invalid), 1 invalid records (valid ones written), 2 fatal.`,
  );
  cmd.action(async (source: string, flags: ConvertFlags) => {
    const format = flags.to ?? formatFromPath(flags.output);
    if (format === undefined) {
      throw new FeedpipeError(
        "USAGE",
        flags.output === "-"
          ? `convert -o - needs --to (${OUTPUT_FORMATS.join(", ")})`
          : `cannot tell the output format from "${flags.output}": use a .csv, .tsv, .ndjson, .json or .xml name, or pass --to`,
      );
    }
    if (flags.json === true && flags.output === "-") {
      throw new FeedpipeError("USAGE", "convert --json prints on stdout: it cannot be used with -o -");
    }
    if (flags.rejects !== undefined && flags.rejects === flags.output) {
      throw new FeedpipeError(
        "USAGE",
        flags.output === "-"
          ? "--rejects - and -o - would both write to stdout"
          : "--rejects and --output must be different files",
      );
    }
    await assertDistinctFiles(
      [
        ["the source", source],
        ["--output", flags.output],
        ["--rejects", flags.rejects],
        ["--html", flags.html],
      ],
      ctx.io.cwd,
    );
    await checkHtmlFlag(flags.html, ctx.io.cwd);
    const pipeline = await loadPipeline(pipelineOptions(flags)); // bad options / mapping: before any I/O
    const collector = reportCollector("convert", source, flags.html !== undefined, flags.preset);
    const writer = createWriter(format, {
      columns: [...PRODUCT_FIELDS],
      protectFormulas: flags.rawCells !== true,
      title: flags.title,
    });
    let output: Output | undefined;
    let written = 0;
    let committed = false;
    let rejectsWritten: string | undefined;
    try {
      const run = await runChecked(ctx, source, pipeline, flags, "convert", async (batch) => {
        collector?.observe(batch);
        if (output === undefined) {
          output = await openOutput(flags.output, { stdout: ctx.io.stdout, signal: ctx.io.signal });
          await output.write(writer.header());
        }
        const rows: Row[] = [];
        // The writer reads the columns (PRODUCT_FIELDS) by name, so a product is a row as it is:
        // no productRow copy per product (a missing field reads as undefined either way).
        for (const c of batch) if (c.product !== undefined) rows.push(c.product as unknown as Row);
        if (rows.length > 0) {
          await writeBatch(output, writer, rows);
          written += rows.length;
        }
      });
      if (output === undefined) {
        output = await openOutput(flags.output, { stdout: ctx.io.stdout, signal: ctx.io.signal });
        await output.write(writer.header());
      }
      await output.write(writer.footer());
      // The rejects file first: when it cannot be written, the output is not left in place as if
      // the run had been complete (and the message below stays true).
      if (run.rejects) {
        await run.rejects.commit();
        rejectsWritten = run.rejects.path;
      }
      await output.commit();
      committed = true;
      const report = run.processed.report();
      const ok = withinMaxInvalid(report, flags.maxInvalid);
      const where = flags.output === "-" ? "stdout" : flags.output;
      const doc = collector?.finish({
        report,
        pipeline,
        ok,
        bytes: run.feed.size,
        rejectsFile: run.rejects?.path,
        output: { path: where, format, written },
      });
      const html = doc ? await writeHtmlFlag(ctx, flags.html, doc) : undefined;
      ctx.final();
      if (flags.json === true) {
        ctx.out(
          `${JSON.stringify({ ...report, output: flags.output, format, written, rejectsFile: run.rejects?.path, html })}\n`,
        );
      } else if (flags.quiet !== true || !ok) {
        const details = [`output        ${written} products written to ${where} (${format})`];
        if (run.rejects) details.push(`rejects       ${run.rejects.count} written to ${run.rejects.path}`);
        if (html) details.push(`html report   ${html}`);
        ctx.err(formatReportText(report, { title: `feedpipe convert ${report.source}`, details }));
      }
      ctx.exitCode = ok ? EXIT_OK : EXIT_INVALID;
    } catch (err) {
      const opened = output as Output | undefined;
      await opened?.abort();
      // Say what became of the output (a reader's note about records read is not about it).
      if (err instanceof FeedpipeError && flags.output !== "-") {
        if (committed) err.message += `; ${flags.output} was written in full (${written} products)`;
        else if (opened === undefined || opened.atomic) {
          err.message += `; nothing was written to ${flags.output}`;
          if (rejectsWritten !== undefined) err.message += ` (the rejects file ${rejectsWritten} was)`;
        }
      }
      throw err;
    }
  });
}
