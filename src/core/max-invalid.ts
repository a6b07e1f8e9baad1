/**
 * The one "max invalid" allowance: how many invalid records a run may have and still pass, as a
 * count (`10`) or a percentage of the records read (`2.5%`). Parsed once from text (CLI flags, job
 * files) into a `MaxInvalid`; judged by `withinMaxInvalid` everywhere (validate, convert, push,
 * Partnerize's feed check).
 */
import { FeedpipeError } from "./errors.js";

export type MaxInvalid = { count: number; percent?: undefined } | { percent: number; count?: undefined };

/** `10` → `{ count: 10 }`, `2.5%` → `{ percent: 2.5 }`; anything else is INVALID_OPTION. */
export function parseMaxInvalid(value: string, option = "--max-invalid"): MaxInvalid {
  const t = value.trim();
  const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(t);
  if (pct) {
    const p = Number(pct[1]);
    if (p <= 100) return { percent: p };
  } else if (/^\d+$/.test(t)) return { count: Number(t) };
  throw new FeedpipeError(
    "INVALID_OPTION",
    `Invalid option ${option}: expected a number of records (10) or a percentage (2.5%), got "${value}"`,
  );
}

/** The invalid share of a run, in percent (0 for an empty run). */
export function invalidPercent(r: { invalid: number; records: number }): number {
  return r.records > 0 ? (r.invalid / r.records) * 100 : 0;
}

/**
 * Whether the invalid records stay within the allowance. Without one, `fallback` applies (none
 * given: no record may be invalid).
 */
export function withinMaxInvalid(
  r: { invalid: number; records: number },
  max: MaxInvalid | undefined,
  fallback?: MaxInvalid,
): boolean {
  if (r.invalid === 0) return true;
  const m = max ?? fallback;
  if (m === undefined) return false;
  if (m.count !== undefined) return r.invalid <= m.count;
  return r.records > 0 && invalidPercent(r) <= m.percent;
}
