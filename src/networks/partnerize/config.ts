/** Build a Partnerize client from feedpipe's configuration (environment and config file). */
import { loadConfig, requireSettings } from "../../core/config.js";
import type { RateLimits } from "../../core/rate-limits.js";
import type { RetryEvent, RetryPolicy } from "../../core/retry.js";
import { createPartnerizeClient, type PartnerizeClient } from "./client.js";

export interface PartnerizeFromConfigOptions {
  env: Record<string, string | undefined>;
  cwd: string;
  configPath?: string | undefined;
  /** What needs the keys, for the CONFIG_MISSING message ("feedpipe pull partnerize"). */
  what: string;
  timeoutMs?: number | undefined;
  retry?: Partial<RetryPolicy> | undefined;
  onRetry?: ((event: RetryEvent) => void) | undefined;
  signal?: AbortSignal | undefined;
  /** The run's rate controllers. */
  rates?: RateLimits | undefined;
}

export interface ConfiguredPartnerize {
  client: PartnerizeClient;
  /** Every secret value known to the configuration plus the Basic token: redact all of them. */
  secrets: string[];
}

/**
 * Read PARTNERIZE_APPLICATION_KEY, PARTNERIZE_USER_API_KEY and PARTNERIZE_API_URL (or the config
 * file's `partnerize` section). Missing keys fail with CONFIG_MISSING naming the variables.
 */
export function partnerizeFromConfig(options: PartnerizeFromConfigOptions): ConfiguredPartnerize {
  const config = loadConfig({ env: options.env, cwd: options.cwd, configPath: options.configPath });
  const pz = config.partnerize;
  requireSettings(options.what, {
    PARTNERIZE_APPLICATION_KEY: pz.applicationKey,
    PARTNERIZE_USER_API_KEY: pz.userApiKey,
  });
  const client = createPartnerizeClient({
    applicationKey: pz.applicationKey!,
    userApiKey: pz.userApiKey!,
    apiUrl: pz.apiUrl,
    timeoutMs: options.timeoutMs,
    retry: options.retry,
    onRetry: options.onRetry,
    signal: options.signal,
    rates: options.rates,
  });
  return { client, secrets: [...config.secrets, ...client.secrets()] };
}
