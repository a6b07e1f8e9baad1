/**
 * Job notifications: a webhook that gets a JSON summary when a run fails or ends partial (or after
 * every run with `on: always`). The payload carries a Slack-compatible `text` line, so chat tools
 * take it as it is. It never holds a secret: the job's credentials are redacted from every string,
 * and URLs in it are redacted (query strings with tokens, user:password).
 *
 * Delivery is retried on transient failures (connection errors, 5xx, 429) through the shared retry
 * policy; a notification that still fails is reported by the caller, never fatal to the run.
 */
import { redactSecrets, redactUrl } from "../core/errors.js";
import { withRetry } from "../core/retry.js";
import { expectOk, httpRequest } from "../io/http.js";
import type { NotifySpec } from "./job-file.js";

export interface RunNotice {
  job: string;
  status: string;
  exitCode: number;
  command: string;
  source?: string | undefined;
  startedAt: string;
  finishedAt: string;
  counts: Record<string, number>;
  error?: string | undefined;
  host?: string | undefined;
}

export interface NotifyOptions {
  secrets: readonly string[];
  signal?: AbortSignal | undefined;
  /** Retry policy overrides (tests use short delays). */
  retry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number } | undefined;
  timeoutMs?: number | undefined;
}

/** Should this run be notified? */
export function shouldNotify(spec: NotifySpec | undefined, status: string): spec is NotifySpec {
  if (!spec) return false;
  return spec.on === "always" || status === "failed" || status === "partial" || status === "aborted";
}

/** The JSON body sent to the webhook (secrets redacted). */
export function noticePayload(notice: RunNotice, secrets: readonly string[]): Record<string, unknown> {
  const clean = (s: string | undefined) => (s === undefined ? undefined : redactSecrets(s, secrets));
  const counts = Object.entries(notice.counts)
    .map(([k, v]) => `${v} ${k}`)
    .join(", ");
  const text =
    `feedpipe job ${notice.job}: ${notice.status} (exit ${notice.exitCode})` +
    (counts ? ` — ${counts}` : "") +
    (notice.error ? ` — ${clean(notice.error)}` : "");
  return {
    text,
    job: notice.job,
    status: notice.status,
    exitCode: notice.exitCode,
    command: notice.command,
    source: notice.source === undefined ? undefined : clean(redactUrl(notice.source)),
    startedAt: notice.startedAt,
    finishedAt: notice.finishedAt,
    counts: notice.counts,
    error: clean(notice.error),
    host: notice.host,
  };
}

/**
 * A webhook's URL as messages may show it: its origin only. The path of a Slack or Teams webhook
 * (`/services/T…/B…/…`) is its credential, like a token in the query.
 */
export function shownWebhook(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname.length > 1 || u.search ? "/…" : ""}`;
  } catch {
    return "the webhook";
  }
}

/** `message` with every spelling of the webhook's URL (whole, or without its query) as shownWebhook's. */
function hideWebhook(message: string, url: string): string {
  let out = message;
  const forms = [url];
  try {
    const u = new URL(url);
    forms.push(u.href, `${u.origin}${u.pathname}${u.search}`, `${u.origin}${u.pathname}`, u.pathname);
  } catch {
    // not a URL: the whole string only
  }
  for (const f of forms.filter((x) => x.length > 1).sort((a, b) => b.length - a.length)) {
    if (out.includes(f)) out = out.split(f).join(f.startsWith("/") ? "/…" : shownWebhook(url));
  }
  return out;
}

/** POST the notice to the webhook, with retries. Errors never show the webhook's path or query. */
export async function sendNotice(spec: NotifySpec, notice: RunNotice, options: NotifyOptions): Promise<void> {
  try {
    await postNotice(spec, notice, options);
  } catch (err) {
    if (err instanceof Error) {
      const message = hideWebhook(err.message, spec.url);
      if (message !== err.message) {
        try {
          err.message = message;
        } catch {
          throw new Error(message, { cause: err });
        }
      }
    }
    throw err;
  }
}

async function postNotice(spec: NotifySpec, notice: RunNotice, options: NotifyOptions): Promise<void> {
  const body = JSON.stringify(noticePayload(notice, options.secrets));
  await withRetry(
    async () => {
      const res = await httpRequest(spec.url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "feedpipe" },
        body,
        timeoutMs: options.timeoutMs ?? 10_000,
        signal: options.signal,
      });
      await expectOk(res);
      await res.body.dump();
    },
    {
      policy: { attempts: 4, baseDelayMs: 500, maxDelayMs: 5_000, ...options.retry },
      signal: options.signal,
    },
  );
}
