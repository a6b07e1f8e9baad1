/**
 * What the Amazon commands share: the client as the CLI builds it (config + env, retry notices,
 * secrets registered for redaction), writing result rows to a file, and a plain text table.
 */
import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { loadConfig, requireSettings } from "../core/config.js";
import { FeedpipeError } from "../core/errors.js";
import { exportRows } from "../jobs/pull.js";
import type { OutputFormat, Row } from "../formats/types.js";
import { formatFromPath, OUTPUT_FORMATS } from "../formats/writers/index.js";
import { type AmazonClient, createAmazonClient } from "../networks/partnerboost/amazon.js";
import { safeText } from "../networks/partnerboost/values.js";
import { maskedNotice, retryNotice } from "./terminal.js";
import type { CliContext } from "./context.js";
import { intOption } from "./options.js";
import { type RateFlags, rateOptions, ratesFor } from "./rate.js";

export interface AmazonClientFlags extends RateFlags {
  config?: string | undefined;
  timeout?: number | undefined;
  quiet?: boolean | undefined;
}

/** `what` names the command in a missing-settings error ("feedpipe amazon brands"). */
export function amazonClientFor(ctx: CliContext, flags: AmazonClientFlags, what: string): AmazonClient {
  const config = loadConfig({ env: ctx.io.env, cwd: ctx.io.cwd, configPath: flags.config });
  for (const s of config.secrets) ctx.secrets.add(s);
  const { token, apiUrl } = config.partnerboostAmazon;
  requireSettings(what, { PARTNERBOOST_PUBLISHER_TOKEN: token });
  return createAmazonClient(
    { token: token as string, apiUrl },
    {
      timeoutMs: flags.timeout,
      signal: ctx.io.signal,
      rates: ratesFor(ctx, flags, flags.quiet ? undefined : (line) => ctx.err(line)),
      onRetry: (e) => {
        if (!flags.quiet) ctx.err(retryNotice(e));
      },
    },
  );
}

/** `--uid`: a sub-id for the publisher's own tracking (letters, digits, `_ . -`). */
export function checkUid(uid: string | undefined): string | undefined {
  if (uid === undefined) return undefined;
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(uid)) {
    throw new FeedpipeError(
      "INVALID_OPTION",
      `Invalid option --uid: expected up to 64 letters, digits, _ . or -, got ${JSON.stringify(safeText(uid, 60))}`,
      { context: { field: "--uid" } },
    );
  }
  return uid;
}

/** `--json` with `-o -` would mix two documents on stdout. */
export function checkJsonTarget(json: boolean | undefined, output: string | undefined): void {
  if (json && output === "-") {
    throw new FeedpipeError(
      "USAGE",
      "--json prints the summary on stdout: write the rows to a file (-o FILE)",
    );
  }
}

/** Write result rows to `-o FILE` (format from --to or the extension, else CSV). */
export async function writeRows(
  ctx: CliContext,
  rows: Row[],
  options: { output: string; to?: OutputFormat | undefined; columns: string[]; title: string },
): Promise<{ format: OutputFormat; bytes: number }> {
  const format: OutputFormat = options.to ?? formatFromPath(options.output) ?? "csv";
  async function* one(): AsyncGenerator<Row[]> {
    yield rows;
  }
  const result = await exportRows(one(), {
    target: options.output === "-" ? "-" : resolve(ctx.io.cwd, options.output),
    format,
    columns: options.columns,
    title: options.title,
    stdout: ctx.io.stdout,
    secrets: ctx.secrets,
    signal: ctx.io.signal,
  });
  if (result.masked > 0) ctx.err(maskedNotice(result.masked));
  return { format, bytes: result.bytes };
}

/** A plain aligned table; every cell is escaped (server text never moves the cursor). */
export function textTable(rows: Row[], columns: string[]): string {
  const cells = rows.map((r) => columns.map((c) => safeText(String(r[c] ?? ""), 120)));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => (row[i] as string).length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i] as number)))
      .join("  ")
      .trimEnd();
  return `${[line(columns), ...cells.map(line)].join("\n")}\n`;
}

export interface AmazonCommonFlags {
  output?: string;
  to?: OutputFormat;
  json?: boolean;
  quiet?: boolean;
  config?: string;
  timeout?: number;
}

/** -o, --to, --json, -q, --config, --timeout. */
export function addAmazonOutputOptions(cmd: Command): Command {
  return cmd
    .option(
      "-o, --output <file>",
      "write the rows to a file (CSV, TSV, NDJSON, JSON by extension), or - for CSV on stdout",
    )
    .addOption(new Option("--to <format>", "output format for -o").choices([...OUTPUT_FORMATS]))
    .option("--json", "print the result as JSON on stdout")
    .option("-q, --quiet", "no retry notices or text summary on stderr")
    .option("--config <file>", "config file (default ./feedpipe.config.json or FEEDPIPE_CONFIG)")
    .option("--timeout <ms>", "HTTP connect/response timeout", intOption("--timeout", 1))
    .addOption(rateOptions()[0]!)
    .addOption(rateOptions()[1]!);
}
