/** The Partnerize client as the CLI commands build it: config + env, retry notices, secrets redacted. */
import type { RateLimits } from "../core/rate-limits.js";
import { type RateFlags, ratesFor } from "./rate.js";
import type { PartnerizeClient } from "../networks/partnerize/client.js";
import { partnerizeFromConfig } from "../networks/partnerize/config.js";
import { retryMessage } from "../networks/partnerize/present.js";
import type { CliContext } from "./context.js";

export interface PartnerizeClientFlags extends RateFlags {
  config?: string | undefined;
  timeout?: number | undefined;
  quiet?: boolean | undefined;
}

/** `what` names the command in a missing-settings error ("feedpipe pull partnerize"). */
export function partnerizeClientFor(
  ctx: CliContext,
  flags: PartnerizeClientFlags,
  what: string,
  /** The run's rate controllers; default: from the command's --rate and --max-wait, with notices. */
  rates: RateLimits = partnerizeRates(ctx, flags, flags.quiet === true),
): PartnerizeClient {
  const { client, secrets } = partnerizeFromConfig({
    env: ctx.io.env,
    cwd: ctx.io.cwd,
    configPath: flags.config,
    what,
    timeoutMs: flags.timeout,
    rates,
    onRetry: (e) => {
      if (!flags.quiet) ctx.err(retryMessage(e));
    },
  });
  for (const s of secrets) ctx.secrets.add(s);
  return client;
}

/** Rate controllers for a Partnerize command: each pause is a notice on stderr unless quiet. */
export function partnerizeRates(ctx: CliContext, flags: RateFlags, quiet: boolean): RateLimits {
  return ratesFor(ctx, flags, quiet ? undefined : (line) => ctx.err(line));
}
