/**
 * Network configuration from environment variables and an optional JSON config file.
 * Environment wins over the file. Secrets are kept out of messages: errors name the variable,
 * never its value.
 *
 * Config file: `--config FILE`, else `FEEDPIPE_CONFIG`, else `./feedpipe.config.json` if present:
 * {
 *   "partnerboost": { "brandId": "...", "token": "...", "secret": "...", "brandApiUrl": "...",
 *                     "publisherToken": "...", "publisherApiUrl": "...", "amazonApiUrl": "...",
 *                     "actions": { "product": "datafeed/new", "setting": "datafeed/setting" } },
 *   "partnerize": { "applicationKey": "...", "userApiKey": "...", "apiUrl": "..." },
 *   "state": { "path": ".feedpipe/state.db" }
 * }
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { FeedpipeError } from "./errors.js";

const configFileSchema = z
  .object({
    partnerboost: z
      .object({
        brandId: z.union([z.string(), z.number()]).transform(String).optional(),
        token: z.string().optional(),
        secret: z.string().optional(),
        brandApiUrl: z.string().url().optional(),
        publisherToken: z.string().optional(),
        publisherApiUrl: z.string().url().optional(),
        amazonApiUrl: z.string().url().optional(),
        actions: z
          .object({ product: z.string().optional(), setting: z.string().optional() })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    partnerize: z
      .object({
        applicationKey: z.string().optional(),
        userApiKey: z.string().optional(),
        apiUrl: z.string().url().optional(),
      })
      .strict()
      .optional(),
    state: z.object({ path: z.string().optional() }).strict().optional(),
  })
  .strict();

export type ConfigFile = z.infer<typeof configFileSchema>;

export interface PartnerboostBrandConfig {
  brandId: string | undefined;
  token: string | undefined;
  secret: string | undefined;
  apiUrl: string;
  productAction: string;
  settingAction: string;
}

export interface PartnerboostPublisherConfig {
  token: string | undefined;
  apiUrl: string;
}

export interface PartnerboostAmazonConfig {
  /** The publisher token (the Amazon endpoints belong to the publisher account). */
  token: string | undefined;
  /** Folder of the Amazon operations (`…/get_fba_products` etc. are appended). */
  apiUrl: string;
}

export interface PartnerizeConfig {
  applicationKey: string | undefined;
  userApiKey: string | undefined;
  apiUrl: string;
}

export interface FeedpipeConfig {
  partnerboost: PartnerboostBrandConfig;
  partnerboostPublisher: PartnerboostPublisherConfig;
  partnerboostAmazon: PartnerboostAmazonConfig;
  partnerize: PartnerizeConfig;
  statePath: string;
  /** Every secret value known, for redaction of anything printed. */
  secrets: string[];
  /** The config file that was read, if any. */
  file: string | undefined;
}

export const DEFAULTS = {
  partnerboostBrandApiUrl: "https://app.partnerboost.com/api/brand",
  partnerboostPublisherApiUrl: "https://app.partnerboost.com/api.php",
  /** The endpoint reference's server and paths (see README: PartnerBoost Amazon). */
  partnerboostAmazonApiUrl: "https://app.partnerboost.com/api/datafeed",
  partnerizeApiUrl: "https://api.partnerize.com",
  productAction: "datafeed/new",
  settingAction: "datafeed/setting",
  statePath: ".feedpipe/state.db",
} as const;

export interface LoadConfigOptions {
  env: Record<string, string | undefined>;
  cwd: string;
  /** Explicit config file path (`--config`). */
  configPath?: string | undefined;
}

function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new FeedpipeError(
      "CONFIG_INVALID",
      `Could not read config file ${path}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    // The parser quotes the text around the fault, and this text holds secrets: say where, not what.
    const why = (err as Error).message
      .replace(/,?\s*(?:\.\.\.)?"[\s\S]*$/, "")
      .replace(/ in JSON at position \d+$/, "")
      .replace(/^Unexpected token .*/, "unexpected character");
    const at = /position (\d+)/.exec((err as Error).message);
    const where = at ? ` at line ${lineAndColumn(text, Number(at[1]))}` : "";
    throw new FeedpipeError(
      "CONFIG_INVALID",
      `Config file ${path} is not valid JSON${where}: ${why} (its text is not shown: a config file holds secrets)`,
    );
  }
  const parsed = configFileSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first?.path.join(".") || "(top level)";
    throw new FeedpipeError(
      "CONFIG_INVALID",
      `Config file ${path}: ${where}: ${first?.message ?? "invalid"}`,
    );
  }
  return parsed.data;
}

export function loadConfig(options: LoadConfigOptions): FeedpipeConfig {
  const { env, cwd } = options;
  const explicit = options.configPath ?? env.FEEDPIPE_CONFIG;
  let file: string | undefined;
  if (explicit) {
    file = resolve(cwd, explicit);
    if (!existsSync(file)) throw new FeedpipeError("CONFIG_INVALID", `Config file not found: ${explicit}`);
  } else if (existsSync(resolve(cwd, "feedpipe.config.json"))) {
    file = resolve(cwd, "feedpipe.config.json");
  }
  const fc: ConfigFile = file ? readConfigFile(file) : {};
  const pb = fc.partnerboost ?? {};
  const pz = fc.partnerize ?? {};
  const pick = (v: string | undefined, fallback: string | undefined) =>
    v !== undefined && v !== "" ? v : fallback;
  const config: FeedpipeConfig = {
    partnerboost: {
      brandId: pick(env.PARTNERBOOST_BRAND_ID, pb.brandId),
      token: pick(env.PARTNERBOOST_TOKEN, pb.token),
      secret: pick(env.PARTNERBOOST_SECRET, pb.secret),
      apiUrl: pick(env.PARTNERBOOST_BRAND_API_URL, pb.brandApiUrl) ?? DEFAULTS.partnerboostBrandApiUrl,
      productAction: pick(env.PARTNERBOOST_PRODUCT_ACTION, pb.actions?.product) ?? DEFAULTS.productAction,
      settingAction: pick(env.PARTNERBOOST_SETTING_ACTION, pb.actions?.setting) ?? DEFAULTS.settingAction,
    },
    partnerboostPublisher: {
      token: pick(env.PARTNERBOOST_PUBLISHER_TOKEN, pb.publisherToken),
      apiUrl:
        pick(env.PARTNERBOOST_PUBLISHER_API_URL, pb.publisherApiUrl) ?? DEFAULTS.partnerboostPublisherApiUrl,
    },
    partnerboostAmazon: {
      token: pick(env.PARTNERBOOST_PUBLISHER_TOKEN, pb.publisherToken),
      apiUrl: pick(env.PARTNERBOOST_AMAZON_API_URL, pb.amazonApiUrl) ?? DEFAULTS.partnerboostAmazonApiUrl,
    },
    partnerize: {
      applicationKey: pick(env.PARTNERIZE_APPLICATION_KEY, pz.applicationKey),
      userApiKey: pick(env.PARTNERIZE_USER_API_KEY, pz.userApiKey),
      apiUrl: pick(env.PARTNERIZE_API_URL, pz.apiUrl) ?? DEFAULTS.partnerizeApiUrl,
    },
    statePath: pick(env.FEEDPIPE_STATE, fc.state?.path) ?? DEFAULTS.statePath,
    secrets: [],
    file,
  };
  config.secrets = [
    config.partnerboost.token,
    config.partnerboost.secret,
    config.partnerboostPublisher.token,
    config.partnerize.applicationKey,
    config.partnerize.userApiKey,
  ].filter((s): s is string => typeof s === "string" && s.length > 0);
  return config;
}

/** Throw CONFIG_MISSING naming the environment variables (never values) that are unset. */
export function requireSettings(what: string, settings: Record<string, string | undefined>): void {
  const missing = Object.entries(settings)
    .filter(([, v]) => v === undefined || v === "")
    .map(([k]) => k);
  if (missing.length > 0) {
    throw new FeedpipeError(
      "CONFIG_MISSING",
      `${what} needs ${missing.join(", ")} (set the environment variable${missing.length > 1 ? "s" : ""} or use a config file)`,
    );
  }
}

/** "3, column 7" for an offset into `text`. */
function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return `${line}, column ${offset - before.lastIndexOf("\n")}`;
}
