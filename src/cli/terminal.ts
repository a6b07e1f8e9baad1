/** Text for the terminal: see ../core/terminal-text.ts. */
import type { RetryEvent } from "../core/retry.js";
import { inlineText, terminalSafe } from "../core/terminal-text.js";

export { inlineText, terminalSafe };

/**
 * One field of a one-line-per-entry listing, from a store others write too (a job name or error
 * read from Redis): terminal-safe, and newline and tab shown as `\n`, `\t` so it cannot start a
 * line of its own that looks like another entry.
 */
export function oneLine(text: string): string {
  return inlineText(terminalSafe(text));
}

/** The stderr note of one retried request ("…; retrying in 0.4 s (attempt 3)"). */
export function retryNotice(e: RetryEvent): string {
  return `feedpipe: ${e.error.message}; retrying in ${(e.delayMs / 1000).toFixed(1)} s (attempt ${e.attempt + 1})\n`;
}

/** After an export: values from the server that held one of the run's secrets were masked. */
export function maskedNotice(masked: number): string {
  return `feedpipe: ${masked} value${masked === 1 ? "" : "s"} from the server held a credential of this run; written with it masked (***)\n`;
}
