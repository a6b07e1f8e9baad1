/**
 * Character-level helpers of the JSON reader (./json.ts): what ends a scalar, where a string ends
 * (escapes and backslash runs carried across chunks), and the wording of its messages.
 */

/** A complete number or literal token. */
export const SCALAR = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)$/;

export function isWs(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** Ends a scalar: whitespace, ',', ']' or '}'. */
export function endsScalar(c: number): boolean {
  return c === 44 || c === 93 || c === 125 || isWs(c);
}

/**
 * Index of the closing quote of a string whose text continues at `from`, or -1. A quote closes the
 * string unless an odd run of backslashes precedes it; `carried` is the run of backslashes that
 * ended the previous chunk (only counted when the run reaches `from`).
 */
export function stringEnd(s: string, from: number, carried: number): number {
  let i = from;
  for (;;) {
    const q = s.indexOf('"', i);
    if (q === -1) return -1;
    let k = q - 1;
    while (k >= from && s.charCodeAt(k) === 92) k--;
    let run = q - 1 - k;
    if (k < from) run += carried;
    if ((run & 1) === 0) return q;
    i = q + 1;
  }
}

/** Backslashes that end `s` (from `from` on, plus `carried` if the run reaches `from`). */
export function trailingRun(s: string, from: number, carried: number): number {
  let k = s.length - 1;
  while (k >= from && s.charCodeAt(k) === 92) k--;
  const run = s.length - 1 - k;
  return k < from ? run + carried : run;
}

export function describeChar(c: number): string {
  const ch = String.fromCharCode(c);
  return c < 32 ? `control character U+${c.toString(16).padStart(4, "0")}` : `'${ch}'`;
}

export function kindOfValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return `a ${typeof v}`;
}

/** V8's JSON.parse message without the echo of the input text. */
export function cleanMessage(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/, ".*" is not valid JSON$/s, "");
}
