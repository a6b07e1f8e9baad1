/** Text for the terminal: see ../core/terminal-text.ts. */
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
