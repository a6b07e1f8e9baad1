/**
 * `feedpipe push <source>`: ingest, map, validate, then send every valid product to the
 * PartnerBoost Brand API (one per request), with delta sync, resume and the publish gate kept in
 * the sync state database (default .feedpipe/state.db).
 *
 * Exit codes: 0 every valid product confirmed (sent or unchanged) and no invalid record (or within
 * --max-invalid); 1 failed products or invalid records; 2 fatal (config, auth, I/O, publish gate).
 *
 * --dry-run prints one JSON line per product that would be sent (the request, with the token and the
 * authentication hash REDACTED) on stdout, the summary on stderr, sends nothing, writes no state and
 * needs no credentials.
 *
 * stdin, URLs and the publish gate: the gate counts the valid products before sending, which reads
 * the source twice; the push job (jobs/push.ts) then spools stdin or a URL to a temporary file once
 * and counts and sends from it (removed afterwards).
 */
import { resolve } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { loadConfig, requireSettings } from "../../core/config.js";
import { FeedpipeError, redactUrl } from "../../core/errors.js";
import { networkLine } from "../../jobs/final-pass.js";
import { loadPipeline } from "../../jobs/pipeline.js";
import {
  DEFAULT_GATE_THRESHOLD,
  type PushFailure,
  type PushInput,
  type PushSummary,
  pushFeed,
} from "../../jobs/push.js";
import { openRejects, type RejectsWriter } from "../../jobs/rejects.js";
import { formatReportText } from "../../core/report.js";
import { openFeed } from "../../formats/index.js";
import { assertDistinctFiles } from "../../io/output-target.js";
import { isUrl } from "../../io/source.js";
import {
  type BrandClient,
  createBrandClient,
  describeRequest,
  type ProductSink,
  productFields,
} from "../../networks/partnerboost/brand.js";
import { openBackend } from "../../sync/backend.js";
import { jsonExtras } from "../../jobs/report/model.js";
import { SinceTracker } from "../../jobs/report/since.js";
import { type CliContext, EXIT_INVALID, EXIT_OK } from "../context.js";
import { oneLine } from "../terminal.js";
import { addLockOptions, takeRunLock } from "../lock.js";
import { checkHtmlFlag, pushInfo, reportCollector, writeHtmlFlag } from "../html-report.js";
import { feedOptions, intOption } from "../options.js";
import { createProgress, progressEnabled } from "../progress.js";
import { addRateOptions, type RateFlags, ratesFor, rateStatus } from "../rate.js";
import { withinMaxInvalid } from "../../core/max-invalid.js";
import { addPipelineOptions, type PipelineFlags, pipelineOptions } from "./validate.js";

/** `--gate 30%` / `--gate 0.3`: the largest accepted drop of the valid count. */
export function parseGate(value: string): number {
  const t = value.trim();
  const m = /^(\d+(?:\.\d+)?)\s*(%?)$/.exec(t);
  if (m) {
    const n = Number(m[1]);
    // A bare number from 1 up is a percentage ("1" is 1%, as "1.5" is 1.5%), below 1 a fraction.
    const fraction = m[2] === "%" || n >= 1 ? n / 100 : n;
    if (fraction >= 0 && fraction <= 1) return fraction;
  }
  throw new InvalidArgumentError(
    `Invalid option --gate: expected a percentage like 30% (or 0.3), got "${value}"`,
  );
}

/** Options every PartnerBoost brand command accepts. */
export function addBrandOptions(cmd: Command): Command {
  return cmd
    .option("--config <file>", "config file (default: $FEEDPIPE_CONFIG or ./feedpipe.config.json)")
    .option(
      "--retries <n>",
      "retries per request after the first attempt (default 5)",
      intOption("--retries", 0, 50),
    )
    .option(
      "--api-timeout <ms>",
      "PartnerBoost API connect/response timeout (default 30000)",
      intOption("--api-timeout", 1),
    )
    .option("--json", "print the result as one JSON object");
}

export interface BrandFlags {
  config?: string | undefined;
  retries?: number | undefined;
  apiTimeout?: number | undefined;
  json?: boolean | undefined;
}

interface PushFlags extends PipelineFlags, BrandFlags, RateFlags {
  concurrency: number;
  dryRun?: boolean | undefined;
  full?: boolean | undefined;
  force?: boolean | undefined;
  gate: number;
  state?: string | undefined;
  wait?: number | boolean | undefined;
}

/** Resolve a local path against the CLI's working directory (URLs and `-` unchanged). */
export function sourcePath(ctx: CliContext, spec: string): string {
  return spec === "-" || isUrl(spec) ? spec : resolve(ctx.io.cwd, spec);
}

const pad = (s: string | number, n: number) => String(s).padStart(n);

function failureLine(f: PushFailure): string {
  const where = f.line !== undefined ? `line ${f.line}` : `record ${f.index}`;
  const attempts = f.attempts !== undefined && f.attempts > 1 ? ` (after ${f.attempts} attempts)` : "";
  return `${where} sku ${oneLine(f.sku ?? "")}: [${f.code}] ${oneLine(f.message)}${attempts}`;
}

/** The push part of the summary (after the validate-style report). */
export function formatPushText(s: PushSummary, maxFailures = 10): string {
  const w = String(Math.max(s.valid, s.read, 1)).length;
  const lines: string[] = [];
  if (s.dryRun) {
    lines.push(`  would send    ${pad(s.wouldSend, w)}  (dry run: nothing was sent)`);
  } else {
    lines.push(`  sent          ${pad(s.sent, w)}  (confirmed by PartnerBoost)`);
  }
  lines.push(`  unchanged     ${pad(s.unchanged, w)}  (skipped: same content as the last confirmed push)`);
  if (!s.dryRun) lines.push(`  failed        ${pad(s.failed, w)}`);
  if (s.finalPass.tried > 0) {
    lines.push(
      `  final pass    ${pad(s.finalPass.recovered, w)}  of ${s.finalPass.tried} transient failures recovered by a last, slower try`,
    );
  }
  for (const f of s.failures.slice(0, maxFailures)) lines.push(`    ${failureLine(f)}`);
  if (s.failed > maxFailures) lines.push(`    … and ${s.failed - maxFailures} more`);
  if (s.network && s.network.requests > 0) lines.push(`  network       ${networkLine(s.network)}`);
  if (s.gate) {
    const change = Math.round(-s.gate.drop * 1000) / 10;
    const verdict = s.gate.refused ? "REFUSED" : s.gate.forced ? "forced" : "ok";
    lines.push(
      `  publish gate  ${verdict}: ${s.gate.currentValid} valid vs ${s.gate.previousValid} in the last push ` +
        `(${change >= 0 ? "+" : ""}${change}%, limit -${Math.round(s.gate.threshold * 1000) / 10}%)`,
    );
  }
  return `${lines.join("\n")}\n`;
}

export function registerPush(program: Command, ctx: CliContext): void {
  const cmd = program
    .command("push")
    .argument("<source>", "feed file, - for stdin, or an http(s) URL")
    .description(
      "validate a catalog and push every valid product to PartnerBoost (delta sync, resume, publish gate)",
    )
    .option("--concurrency <n>", "requests at once (default 4)", intOption("--concurrency", 1, 64), 4)
    .option("--dry-run", "print what would be sent (secrets redacted); send nothing, write no state")
    .option("--full", "send every valid product, even those unchanged since the last confirmed push")
    .option("--force", "push even if the publish gate would refuse")
    .option(
      "--gate <percent>",
      "refuse when the valid count fell by more than this against the last push (default 30%; 5 or 5% is 5%, 0.05 too)",
      parseGate,
      DEFAULT_GATE_THRESHOLD,
    )
    .option("--state <file>", "sync state database (default: .feedpipe/state.db, or FEEDPIPE_STATE)");
  addPipelineOptions(cmd);
  addBrandOptions(cmd);
  addLockOptions(cmd);
  addRateOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Credentials (environment or config file): PARTNERBOOST_BRAND_ID, PARTNERBOOST_TOKEN, PARTNERBOOST_SECRET,
PARTNERBOOST_BRAND_API_URL (default https://app.partnerboost.com/api/brand), PARTNERBOOST_PRODUCT_ACTION
(default datafeed/new). --dry-run needs none of them.

Examples:
  $ feedpipe push catalog.csv                     send new and changed products
  $ feedpipe push catalog.csv --dry-run | head    what would be sent
  $ feedpipe push https://shop.example/feed.xml --concurrency 8 --rejects rejects.ndjson
  $ feedpipe push catalog.csv --force             the catalog really shrank: pass the publish gate
  $ feedpipe push catalog.csv --html push.html     the run as a page, with the changes since the last push

Exit codes: 0 every valid product confirmed, 1 failed products or invalid records, 2 fatal error
(config, auth, unreadable feed, publish gate).`,
  );
  cmd.action(async (source: string, flags: PushFlags) => {
    const config = loadConfig({ env: ctx.io.env, cwd: ctx.io.cwd, configPath: flags.config });
    for (const s of config.secrets) ctx.secrets.add(s);
    const pb = config.partnerboost;
    const dryRun = flags.dryRun === true;
    if (!dryRun) {
      requireSettings("feedpipe push", {
        PARTNERBOOST_BRAND_ID: pb.brandId,
        PARTNERBOOST_TOKEN: pb.token,
        PARTNERBOOST_SECRET: pb.secret,
      });
    }
    if (flags.rejects === "-" && dryRun) {
      throw new FeedpipeError(
        "USAGE",
        "push --dry-run prints requests on stdout: give --rejects a file name, not -",
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
    const brandId = pb.brandId ?? "";
    const pipeline = await loadPipeline(pipelineOptions(flags));
    const collector = reportCollector("push", source, !!flags.html || flags.json === true, flags.preset);
    let bytes: number | undefined;
    const statePath = resolve(ctx.io.cwd, flags.state ?? config.statePath);
    const backend = await openBackend(ctx.io.env, statePath);
    const state = await backend.openState({ readonly: dryRun, endpoint: pb.apiUrl });
    const cleanups: (() => void | Promise<void>)[] = [() => backend.close(), () => state.close()];
    if (!dryRun) {
      try {
        const lock = await takeRunLock(ctx, statePath, `partnerboost:${brandId}`, "push", flags.wait);
        cleanups.push(() => lock.release());
      } catch (err) {
        await state.close();
        await backend.close();
        throw err;
      }
    }
    let rejects: RejectsWriter | undefined;
    try {
      const spec = sourcePath(ctx, source);
      const rates = ratesFor(ctx, flags);
      const progress = createProgress({
        stream: ctx.io.stderr,
        enabled: progressEnabled(ctx.io, flags.quiet === true || flags.json === true),
        unit: "records",
        label: dryRun ? "push (dry run)" : "push",
        status: () => rateStatus(rates),
      });
      let opened = 0;
      const read = { ...feedOptions(flags, ctx.io, ctx.err), stdin: ctx.io.stdin as NodeJS.ReadableStream };
      // The push job spools stdin or a URL once when the gate must read it twice.
      const input: PushInput = {
        spec,
        read,
        open: async (path, name) => {
          opened++;
          const feed = await openFeed(path, { ...read, name });
          bytes = feed.size;
          return pipeline.process(feed);
        },
      };
      const since = collector ? await SinceTracker.open(state, brandId) : undefined;
      rejects = flags.rejects
        ? await openRejects(resolve(ctx.io.cwd, flags.rejects), { stdout: ctx.io.stdout })
        : undefined;
      const client: ProductSink | BrandClient = dryRun
        ? {
            pushProduct: () => Promise.reject(new FeedpipeError("USAGE", "dry run: nothing is sent")),
          }
        : createBrandClient(
            {
              brandId,
              token: pb.token ?? "",
              secret: pb.secret ?? "",
              apiUrl: pb.apiUrl,
              productAction: pb.productAction,
              settingAction: pb.settingAction,
            },
            {
              retry: flags.retries !== undefined ? { attempts: flags.retries + 1 } : undefined,
              timeoutMs: flags.apiTimeout,
              signal: ctx.io.signal,
              rates,
            },
          );
      let summary: PushSummary;
      try {
        summary = await pushFeed({
          source: input,
          client,
          state,
          brandId,
          concurrency: flags.concurrency,
          full: flags.full,
          force: flags.force,
          dryRun,
          gateThreshold: flags.gate,
          signal: ctx.io.signal,
          rates: dryRun ? undefined : rates,
          onBatch: async (batch) => {
            progress.update({ records: batch.length });
            collector?.observe(batch);
            await since?.observe(batch);
            await rejects?.add(batch);
          },
          onDryRun: (product) => {
            const req = describeRequest(
              { brandId: pb.brandId, apiUrl: pb.apiUrl },
              pb.productAction,
              productFields(product),
            );
            ctx.out(`${JSON.stringify(req)}\n`);
          },
        });
      } catch (err) {
        progress.done();
        if (err instanceof FeedpipeError && err.context.summary) {
          const partial = err.context.summary as PushSummary;
          if (err.code !== "PUBLISH_GATE") {
            ctx.err(
              `feedpipe push: stopped after ${partial.sent} confirmed product${partial.sent === 1 ? "" : "s"} ` +
                `(${partial.unchanged} unchanged, ${partial.failed} failed); confirmed products are recorded, ` +
                "run again to resume\n",
            );
          }
          delete err.context.summary; // keep it out of any later rendering of the error
        }
        throw err;
      }
      progress.done();
      await rejects?.commit();
      rejects = undefined;
      const report = summary.report;
      const ok = summary.failed === 0 && (report ? withinMaxInvalid(report, flags.maxInvalid) : true);
      const target = `PartnerBoost brand ${brandId || "(brand id not set)"} at ${redactUrl(pb.apiUrl)}`;
      const write = dryRun ? (t: string) => ctx.err(t) : (t: string) => ctx.out(t);
      const doc =
        collector && report
          ? collector.finish({
              report,
              pipeline,
              ok,
              bytes,
              rejectsFile: flags.rejects ? resolve(ctx.io.cwd, flags.rejects) : undefined,
              push: pushInfo(summary, target, since),
            })
          : undefined;
      const html = doc ? await writeHtmlFlag(ctx, flags.html, doc) : undefined;
      ctx.final();
      if (flags.json) {
        const { report: r, ...rest } = summary;
        write(
          `${JSON.stringify(
            {
              ok,
              target: { brandId, apiUrl: redactUrl(pb.apiUrl) },
              state: statePath,
              ...rest,
              report: r,
              passes: opened,
              ...(doc ? jsonExtras(doc) : {}),
            },
            null,
            2,
          )}\n`,
        );
      } else {
        const details = [`target        ${target}`, `state         ${statePath}`];
        if (flags.rejects) details.push(`rejects       written to ${flags.rejects}`);
        if (html) details.push(`html report   ${html}`);
        let text = report
          ? formatReportText(report, {
              title: `feedpipe push ${report.source}${dryRun ? " (dry run)" : ""}`,
              details,
            })
          : "";
        text += formatPushText(summary);
        if (summary.gate?.refused) {
          text +=
            "  the publish gate would refuse this push (run with --force if the catalog really shrank)\n";
        }
        write(text);
      }
      ctx.exitCode = summary.gate?.refused ? 2 : ok ? EXIT_OK : EXIT_INVALID;
    } finally {
      await rejects?.abort();
      for (const c of cleanups.reverse()) await c();
    }
  });
}
