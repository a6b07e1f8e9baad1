/**
 * `--html FILE` for validate, convert and push: the collector is made only when a report is
 * wanted (HTML, or a JSON report that must carry what the page needs), and the page is written
 * atomically beside the other outputs.
 */
import { stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { FeedpipeError, redactUrl } from "../core/errors.js";
import { ReportCollector } from "../jobs/report/collect.js";
import { writeReportHtml } from "../jobs/report/html.js";
import type { PushInfo, ReportDocument, ReportKind } from "../jobs/report/model.js";
import type { SinceTracker } from "../jobs/report/since.js";
import type { PushSummary } from "../jobs/push.js";
import type { CliContext } from "./context.js";
import { VERSION } from "./version.js";

/** Check `--html` before any I/O (a file name, not stdout). */
export async function checkHtmlFlag(html: string | undefined, cwd: string = process.cwd()): Promise<void> {
  if (html === undefined) return;
  if (html === "-" || html === "") {
    throw new FeedpipeError("USAGE", "give --html a file name (the page is one file), not -");
  }
  // The page is written last: a folder that is not there would fail the run after its other
  // outputs were already in place. Checked first, like --rejects (opened before reading).
  const path = resolve(cwd, html);
  const dir = await stat(dirname(path)).catch(() => undefined);
  if (!dir?.isDirectory()) {
    throw new FeedpipeError(
      "IO_WRITE",
      `Could not write ${path}: directory ${dirname(path)} does not exist`,
      {
        context: { path },
      },
    );
  }
}

/** A collector when `--html` or a JSON report is asked for; undefined otherwise (no extra work). */
export function reportCollector(
  kind: ReportKind,
  source: string,
  wanted: boolean,
  preset?: string | undefined,
): ReportCollector | undefined {
  if (!wanted) return undefined;
  // The source may be a signed URL: the page and the JSON show it redacted.
  const command = `feedpipe ${kind} ${redactUrl(source)}${preset ? ` --preset ${preset}` : ""}`;
  return new ReportCollector(kind, command, VERSION);
}

/** Write the page when `--html` was given; returns the path written. */
export async function writeHtmlFlag(
  ctx: CliContext,
  html: string | undefined,
  doc: ReportDocument,
): Promise<string | undefined> {
  if (html === undefined) return undefined;
  const path = resolve(ctx.io.cwd, html);
  await writeReportHtml(path, doc, { signal: ctx.io.signal });
  return path;
}

/** What the push report shows of a push summary. */
export function pushInfo(s: PushSummary, target: string, since: SinceTracker | undefined): PushInfo {
  return {
    dryRun: s.dryRun,
    status: s.status,
    sent: s.sent,
    unchanged: s.unchanged,
    failed: s.failed,
    wouldSend: s.wouldSend,
    failures: s.failures.map((f) => ({
      sku: f.sku,
      line: f.line,
      index: f.index,
      code: f.code,
      message: f.message,
    })),
    target,
    since: since?.summary(),
  };
}
