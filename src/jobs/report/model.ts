/**
 * The report document: everything the HTML page shows, and what `--report json` / `push --json`
 * carry so `feedpipe report run.json` can render the same page later.
 *
 *   validate --report json  →  { ...RunReport, ok, rejectsFile?, feedpipe, run, aggregates }
 *   push --json             →  { ok, ...PushSummary, report: RunReport, feedpipe, run, aggregates, since? }
 *
 * `documentFromJson` reads either shape back (checked with zod: a saved file is input like any
 * other; every string still gets escaped by the renderer).
 */
import { z } from "zod";
import { FeedpipeError } from "../../core/errors.js";
import type { RunReport } from "../../core/report.js";
import type { Aggregates } from "./aggregates.js";
import type { FieldSource } from "./sources.js";

export type ReportKind = "validate" | "convert" | "push";

export interface RunInfo {
  command: string;
  source: string;
  format: string;
  preset: string;
  presetChosen: RunReport["presetChosen"];
  fieldSources: FieldSource[];
  /** Size of the source in bytes, when known. */
  bytes?: number | undefined;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

/** The push compared with the last confirmed sync state. */
export interface SinceLastRun {
  /** Products confirmed for the brand before this run. */
  previous: number;
  previousRunAt?: string | undefined;
  added: number;
  removed: number;
  changed: number;
  unchanged: number;
  /** Changed products whose price changed (same currency), and which way. */
  priceChanges: number;
  priceUp: number;
  priceDown: number;
  /** Changed products whose previous price is not in the state (confirmed by an older feedpipe). */
  priceUnknown: number;
}

export interface PushInfo {
  dryRun: boolean;
  status: string;
  sent: number;
  unchanged: number;
  failed: number;
  wouldSend: number;
  failures: { sku: string; line?: number | undefined; index: number; code: string; message: string }[];
  target?: string | undefined;
  since?: SinceLastRun | undefined;
}

export interface ReportDocument {
  kind: ReportKind;
  version: string;
  ok: boolean;
  run: RunInfo;
  report: RunReport;
  aggregates: Aggregates;
  rejectsFile?: string | undefined;
  output?: { path: string; format: string; written: number } | undefined;
  push?: PushInfo | undefined;
}

/** The keys `--report json` / `push --json` add so the page can be rendered from the file. */
export function jsonExtras(doc: ReportDocument): Record<string, unknown> {
  const out: Record<string, unknown> = {
    feedpipe: { version: doc.version, kind: doc.kind },
    run: doc.run,
    aggregates: doc.aggregates,
  };
  if (doc.push?.since) out.since = doc.push.since;
  if (doc.rejectsFile !== undefined) out.rejectsFile = doc.rejectsFile;
  if (doc.output) out.output = doc.output;
  return out;
}

// ---- reading a saved JSON report back ----

const num = z.number().finite();
const count = z.number().int().nonnegative();
const str = z.string();
const opt = <T extends z.ZodType>(t: T) => t.optional();

const example = z.object({
  line: opt(count),
  index: count,
  sku: opt(str),
  field: opt(str),
  message: str,
});
const runReport = z.object({
  source: str,
  format: str,
  preset: str,
  presetChosen: z.enum(["auto", "option", "mapping", "none"]),
  read: count,
  records: count,
  valid: count,
  invalid: count,
  skipped: count,
  warnings: count,
  recordsWithWarnings: count,
  blankRows: count,
  rules: z.array(
    z.object({ code: str, severity: z.enum(["error", "warning"]), count, examples: z.array(example) }),
  ),
  skips: z.array(z.object({ code: str, count, examples: z.array(example) })),
  hints: z.array(str),
});
const top = z.object({
  total: count,
  distinct: count,
  exact: z.boolean(),
  top: z.array(z.object({ value: str, count, error: count })),
});
const aggregates = z.object({
  records: count,
  fill: z.array(z.object({ field: str, filled: count })),
  prices: z.array(
    z.object({
      currency: str,
      count,
      min: num,
      max: num,
      mean: num,
      buckets: z.array(count),
      edges: z.array(num),
    }),
  ),
  pricesOther: count,
  brands: top,
  categories: top,
  availability: top,
  issuesByField: z.array(z.object({ field: str, errors: count, warnings: count })),
  examples: z.array(
    z.object({
      rule: str,
      severity: z.enum(["error", "warning"]),
      line: opt(count),
      index: count,
      sku: opt(str),
      field: opt(str),
      value: opt(str),
      message: str,
    }),
  ),
  examplesSeen: count,
  examplesCap: z.object({ total: count, perRule: count }),
});
const runInfo = z.object({
  command: str,
  source: str,
  format: str,
  preset: str,
  presetChosen: z.enum(["auto", "option", "mapping", "none"]),
  fieldSources: z.array(z.object({ field: str, source: str })),
  bytes: opt(count),
  startedAt: str,
  finishedAt: str,
  durationMs: num,
});
const since = z.object({
  previous: count,
  previousRunAt: opt(str),
  added: count,
  removed: count,
  changed: count,
  unchanged: count,
  priceChanges: count,
  priceUp: count,
  priceDown: count,
  priceUnknown: count,
});
const common = {
  ok: z.boolean(),
  feedpipe: z.object({ version: str, kind: z.enum(["validate", "convert", "push"]) }),
  run: runInfo,
  aggregates,
  rejectsFile: opt(str),
  output: opt(z.object({ path: str, format: str, written: count })),
};
const validateJson = runReport.extend(common);
const pushJson = z.object({
  ...common,
  dryRun: z.boolean(),
  status: str,
  sent: count,
  unchanged: count,
  failed: count,
  wouldSend: count,
  failures: z.array(z.object({ sku: str, line: opt(count), index: count, code: str, message: str }).loose()),
  target: opt(z.object({ brandId: str, apiUrl: str }).loose()),
  report: runReport,
  since: opt(since),
});

function invalid(name: string, why: string): FeedpipeError {
  return new FeedpipeError(
    "REPORT_INVALID",
    `${name} is not a feedpipe JSON report (validate --report json or push --json): ${why}`,
    { context: { source: name } },
  );
}

/** Read a saved report (parsed JSON) back into a document; REPORT_INVALID when it is not one. */
export function documentFromJson(json: unknown, name: string): ReportDocument {
  if (json === null || typeof json !== "object" || Array.isArray(json)) throw invalid(name, "not an object");
  const o = json as Record<string, unknown>;
  if (o.aggregates === undefined || o.run === undefined) {
    throw invalid(
      name,
      "it has no run/aggregates sections (written by an older feedpipe? run the command again)",
    );
  }
  const isPush = typeof o.report === "object" && typeof o.sent === "number";
  const r = (isPush ? pushJson : validateJson).safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw invalid(name, `${i.path.join(".") || "(top)"}: ${i.message}`);
  }
  if (isPush) {
    const d = r.data as z.infer<typeof pushJson>;
    return {
      kind: "push",
      version: d.feedpipe.version,
      ok: d.ok,
      run: d.run,
      report: d.report,
      aggregates: d.aggregates,
      rejectsFile: d.rejectsFile,
      push: {
        dryRun: d.dryRun,
        status: d.status,
        sent: d.sent,
        unchanged: d.unchanged,
        failed: d.failed,
        wouldSend: d.wouldSend,
        failures: d.failures.map((f) => ({
          sku: f.sku,
          line: f.line,
          index: f.index,
          code: f.code,
          message: f.message,
        })),
        target: d.target ? `PartnerBoost brand ${d.target.brandId} at ${d.target.apiUrl}` : undefined,
        since: d.since,
      },
    };
  }
  const d = r.data as z.infer<typeof validateJson>;
  const { ok, feedpipe, run, aggregates: agg, rejectsFile, output, ...report } = d;
  return {
    kind: feedpipe.kind,
    version: feedpipe.version,
    ok,
    run,
    report,
    aggregates: agg,
    rejectsFile,
    output,
  };
}
