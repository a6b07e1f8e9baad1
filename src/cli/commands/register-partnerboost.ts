import { resolve } from "node:path";
/**
 * `feedpipe register partnerboost --fetch-url URL --fetch-period NEVER|DAILY|WEEKLY|MONTH [--check]`:
 * tell PartnerBoost where the brand's hosted feed is and how often to fetch it.
 *
 * With --check the feed is first streamed through ingest + map + validate; registration is refused
 * (exit 1) when it cannot be read or when more than --check-threshold (default 50%) of its products
 * are invalid. Exit codes: 0 registered, 1 refused by the check, 2 fatal (config, auth, API error).
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import { loadConfig, requireSettings } from "../../core/config.js";
import { redactUrl } from "../../core/errors.js";
import type { PipelineOptions } from "../../jobs/pipeline.js";
import type { ReadFeedOptions } from "../../formats/index.js";
import { createBrandClient, FETCH_PERIODS, type FetchPeriod } from "../../networks/partnerboost/brand.js";
import { PRESET_NAMES } from "../../../transforms/index.js";
import { type CliContext, EXIT_INVALID, EXIT_OK } from "../context.js";
import { addInputOptions, feedOptions, type InputFlags } from "../options.js";
import { addRateOptions, type RateFlags, ratesFor } from "../rate.js";
import { addBrandOptions, type BrandFlags, parseGate } from "./push.js";
import { addLockOptions, takeRunLock } from "../lock.js";
import { checkFeed as checkFeedAt } from "../../jobs/check-feed.js";

interface RegisterFlags extends InputFlags, BrandFlags, RateFlags {
  wait?: number | boolean | undefined;
  fetchUrl: string;
  fetchPeriod: FetchPeriod;
  check?: boolean | undefined;
  checkThreshold: number;
  preset?: string | undefined;
  mapping?: string | undefined;
  decimalComma?: boolean | undefined;
  priceWithCurrency?: boolean | undefined;
  baseUrl?: string | undefined;
  currency?: string | undefined;
}

function parseFetchUrl(value: string): string {
  let ok = false;
  try {
    const u = new URL(value);
    ok = u.protocol === "http:" || u.protocol === "https:";
  } catch {
    ok = false;
  }
  if (!ok)
    throw new InvalidArgumentError(
      `Invalid option --fetch-url: expected an absolute http(s) URL, got "${value}"`,
    );
  return value;
}

function parseThreshold(value: string): number {
  try {
    return parseGate(value);
  } catch {
    throw new InvalidArgumentError(
      `Invalid option --check-threshold: expected a percentage like 50% (or 0.5), got "${value}"`,
    );
  }
}

export interface FeedCheck {
  ok: boolean;
  readable: boolean;
  records: number;
  valid: number;
  invalid: number;
  invalidShare: number;
  threshold: number;
  error?: { code: string; message: string } | undefined;
}

/** Stream a feed URL through ingest + map + validate and judge it (the one check, jobs/check-feed.ts). */
export async function checkFeed(
  url: string,
  options: { pipeline?: PipelineOptions | undefined; input?: ReadFeedOptions | undefined },
  threshold: number,
): Promise<FeedCheck> {
  const { preset, mapping, ...pipeline } = options.pipeline ?? {};
  const r = await checkFeedAt(url, {
    preset,
    mapping,
    pipeline,
    input: options.input,
    maxInvalid: { percent: threshold * 100 },
  });
  return {
    ok: r.ok,
    readable: r.readable,
    records: r.records,
    valid: r.valid,
    invalid: r.invalid,
    invalidShare: r.readable && r.records > 0 ? r.invalid / r.records : 1,
    threshold,
    error: r.readable ? undefined : { code: r.code ?? "IO_READ", message: r.message ?? r.reason ?? "" },
  };
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

export function registerRegisterPartnerboost(parent: Command, ctx: CliContext): void {
  const cmd = parent
    .command("partnerboost")
    .description("register the brand's hosted feed URL and fetch period with PartnerBoost")
    .requiredOption("--fetch-url <url>", "absolute http(s) URL of the hosted feed", parseFetchUrl)
    .addOption(
      new Option("--fetch-period <period>", "how often PartnerBoost fetches it")
        .choices([...FETCH_PERIODS])
        .makeOptionMandatory(),
    )
    .option(
      "--check",
      "read and validate the feed first; refuse to register an unreadable or mostly invalid feed",
    )
    .option(
      "--check-threshold <percent>",
      "largest share of invalid products --check accepts (default 50%)",
      parseThreshold,
      0.5,
    )
    .option("--preset <name>", `layout of the feed for --check: auto (default) or ${PRESET_NAMES.join(", ")}`)
    .option("--mapping <file>", "mapping file for --check")
    .option("--decimal-comma", "prices are written 1.234,56 (for --check)")
    .option("--price-with-currency", "prices carry their currency code, 15.00 USD (for --check)")
    .option("--base-url <url>", "store URL for layouts without product URLs (for --check)")
    .option("--currency <code>", "currency for layouts that do not state one (for --check)");
  addInputOptions(cmd);
  addBrandOptions(cmd);
  addRateOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Credentials: PARTNERBOOST_BRAND_ID, PARTNERBOOST_TOKEN, PARTNERBOOST_SECRET (environment or config file);
PARTNERBOOST_BRAND_API_URL and PARTNERBOOST_SETTING_ACTION (default datafeed/setting) may be overridden.

Examples:
  $ feedpipe register partnerboost --fetch-url https://shop.example/feed.csv --fetch-period DAILY --check

Exit codes: 0 registered, 1 refused by --check, 2 fatal error (config, auth, API).`,
  );
  addLockOptions(cmd);
  cmd.action(async (flags: RegisterFlags) => {
    const config = loadConfig({ env: ctx.io.env, cwd: ctx.io.cwd, configPath: flags.config });
    for (const s of config.secrets) ctx.secrets.add(s);
    const pb = config.partnerboost;
    requireSettings("feedpipe register partnerboost", {
      PARTNERBOOST_BRAND_ID: pb.brandId,
      PARTNERBOOST_TOKEN: pb.token,
      PARTNERBOOST_SECRET: pb.secret,
    });
    const shownUrl = redactUrl(flags.fetchUrl);
    let check: FeedCheck | undefined;
    if (flags.check) {
      const pipelineOptions: PipelineOptions = {
        preset: flags.preset,
        mapping: flags.mapping,
        decimalComma: flags.decimalComma === true,
        priceWithCurrency: flags.priceWithCurrency === true,
        baseUrl: flags.baseUrl,
        currency: flags.currency,
      };
      check = await checkFeed(
        flags.fetchUrl,
        { pipeline: pipelineOptions, input: feedOptions(flags, ctx.io, ctx.err) },
        flags.checkThreshold,
      );
      if (!check.ok) {
        const why = !check.readable
          ? `the feed cannot be read: [${check.error?.code}] ${check.error?.message}`
          : check.records === 0
            ? "the feed has no products"
            : `${check.invalid} of ${check.records} products (${pct(check.invalidShare)}) are invalid, ` +
              `more than the ${pct(check.threshold)} --check-threshold; run feedpipe validate ${shownUrl} for details`;
        if (flags.json) {
          ctx.out(`${JSON.stringify({ registered: false, fetch_url: shownUrl, check }, null, 2)}\n`);
        }
        ctx.err(`feedpipe register partnerboost: not registered: ${why}\n`);
        ctx.exitCode = EXIT_INVALID;
        return;
      }
    }
    const client = createBrandClient(
      {
        brandId: pb.brandId ?? "",
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
        rates: ratesFor(ctx, flags),
      },
    );
    const lock = await takeRunLock(
      ctx,
      resolve(ctx.io.cwd, config.statePath),
      `partnerboost:${pb.brandId ?? ""}`,
      "register partnerboost",
      flags.wait,
    );
    let data: Awaited<ReturnType<typeof client.setFetchSettings>>;
    try {
      data = await client.setFetchSettings({
        fetch_url: flags.fetchUrl,
        fetch_period: flags.fetchPeriod,
      });
    } finally {
      await lock.release();
    }
    if (flags.json) {
      const out: Record<string, unknown> = {
        registered: true,
        brandId: pb.brandId,
        fetch_url: shownUrl,
        fetch_period: flags.fetchPeriod,
        response: data ?? null,
      };
      if (check) out.check = check;
      ctx.out(`${JSON.stringify(out, null, 2)}\n`);
    } else {
      const lines = [
        `Registered with PartnerBoost brand ${pb.brandId} (${redactUrl(pb.apiUrl)}):`,
        `  fetch_url     ${shownUrl}`,
        `  fetch_period  ${flags.fetchPeriod}`,
      ];
      if (check) {
        lines.push(
          `  checked       ${check.valid} of ${check.records} products valid (${pct(check.invalidShare)} invalid, limit ${pct(check.threshold)})`,
        );
      }
      ctx.out(`${lines.join("\n")}\n`);
    }
    ctx.exitCode = EXIT_OK;
  });
}
