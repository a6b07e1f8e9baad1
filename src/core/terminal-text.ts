/**
 * Text for the terminal. Everything the CLI prints passes through `terminalSafe` (in
 * createContext's out/err, and data written to stdout when it is a terminal, ../io/output.ts), so campaign titles, feed names, server messages and feed values can
 * not carry escape sequences to the user's terminal (colour changes, cursor moves, a fake prompt,
 * an OSC 52 clipboard write). Control characters other than newline and tab, DEL, the C1 range
 * and the Unicode bidi overrides are shown as visible escapes (`\x1b`, `\u202e`).
 */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function terminalSafe(text: string): string {
  UNSAFE.lastIndex = 0;
  if (!UNSAFE.test(text)) return text;
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/**
 * One value inside a line of text (a SKU in a report row, a feed name in a table cell): newline,
 * carriage return and tab shown as `\n`, `\r`, `\t`, so a value from a feed or a server cannot end
 * the line and start one of its own that looks like ours ("  valid  999").
 */
export function inlineText(text: string): string {
  return /[\n\r\t]/.test(text)
    ? text.replace(/[\n\r\t]/g, (c) => (c === "\n" ? "\\n" : c === "\r" ? "\\r" : "\\t"))
    : text;
}
