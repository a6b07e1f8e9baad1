/**
 * `feedpipe report <run.json> [--html FILE]`: render a saved `validate --report json` or
 * `push --json` as the same self-contained HTML page `--html` writes (default: beside the JSON,
 * with an .html extension).
 *
 * Exit codes: 0 written, 2 unreadable or not a feedpipe report.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Command } from "commander";
import { FeedpipeError } from "../../core/errors.js";
import { writeReportHtml } from "../../jobs/report/html.js";
import { documentFromJson } from "../../jobs/report/model.js";
import { type CliContext, EXIT_OK } from "../context.js";
import { checkHtmlFlag } from "../html-report.js";

/** A saved report is small (every part is bounded); anything bigger is not one. */
const MAX_REPORT_BYTES = 64 * 1024 * 1024;

async function readReport(path: string): Promise<unknown> {
  let text: string;
  try {
    const buf = await readFile(path);
    if (buf.length > MAX_REPORT_BYTES) {
      throw new FeedpipeError("REPORT_INVALID", `${path} is too large to be a feedpipe JSON report`, {
        context: { source: path },
      });
    }
    text = buf.toString("utf8");
  } catch (err) {
    if (err instanceof FeedpipeError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new FeedpipeError(
      e.code === "ENOENT" ? "IO_NOT_FOUND" : "IO_READ",
      e.code === "ENOENT" ? `${path} does not exist` : `Could not read ${path}: ${e.message}`,
      { cause: err, context: { source: path } },
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new FeedpipeError(
      "REPORT_INVALID",
      `${path} is not JSON (${(err as Error).message}); save a report with validate --report json or push --json`,
      { cause: err, context: { source: path } },
    );
  }
}

export function registerReport(program: Command, ctx: CliContext): void {
  program
    .command("report")
    .argument("<run.json>", "a saved `validate --report json` or `push --json` output")
    .option("--html <file>", "the page to write (default: the JSON file's name with .html)")
    .description("render a saved JSON report as one self-contained HTML page")
    .addHelpText(
      "after",
      `
Examples:
  $ feedpipe validate catalog.csv --report json > run.json; feedpipe report run.json
  $ feedpipe report run.json --html catalog-report.html

Exit codes: 0 page written, 2 the file is unreadable or not a feedpipe JSON report.`,
    )
    .action(async (file: string, flags: { html?: string | undefined }) => {
      await checkHtmlFlag(flags.html, ctx.io.cwd);
      const path = resolve(ctx.io.cwd, file);
      const doc = documentFromJson(await readReport(path), file);
      const html = resolve(ctx.io.cwd, flags.html ?? file.replace(/\.json$/i, "") + ".html");
      if (html === path) throw new FeedpipeError("USAGE", "--html must not be the JSON report itself");
      await writeReportHtml(html, doc, { signal: ctx.io.signal });
      ctx.out(`feedpipe report: wrote ${html}\n`);
      ctx.exitCode = EXIT_OK;
    });
}
