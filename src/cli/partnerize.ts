/** The Partnerize client as the CLI commands build it: config + env, retry notices, secrets redacted. */
import type { PartnerizeClient } from "../networks/partnerize/client.js";
import { partnerizeFromConfig } from "../networks/partnerize/config.js";
import { retryMessage } from "../networks/partnerize/present.js";
import type { CliContext } from "./context.js";

export interface PartnerizeClientFlags {
  config?: string | undefined;
  timeout?: number | undefined;
  quiet?: boolean | undefined;
}

/** `what` names the command in a missing-settings error ("feedpipe pull partnerize"). */
export function partnerizeClientFor(
  ctx: CliContext,
  flags: PartnerizeClientFlags,
  what: string,
): PartnerizeClient {
  const { client, secrets } = partnerizeFromConfig({
    env: ctx.io.env,
    cwd: ctx.io.cwd,
    configPath: flags.config,
    what,
    timeoutMs: flags.timeout,
    onRetry: (e) => {
      if (!flags.quiet) ctx.err(retryMessage(e));
    },
  });
  for (const s of secrets) ctx.secrets.add(s);
  return client;
}
