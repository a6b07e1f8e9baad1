/**
 * Price and currency-code parsing for product fields (`15.00 USD`, `1.234,56 €`, `US$ 12`), on the
 * validator's hot path: a character scan reads the common `123.45` / `123.45 USD` forms, the
 * general rules (grouped thousands, decimal commas, signs, codes) everything else.
 */

export interface PriceParseOptions {
  /** `1.234,56` and `12,50`: comma is the decimal separator, `.`, space or `'` group thousands. */
  decimalComma?: boolean | undefined;
  /** The text may carry an ISO 4217 code before or after the amount: `15.00 USD`, `USD 15.00`. */
  withCurrency?: boolean | undefined;
}

export type PriceParse =
  | {
      ok: true;
      amount: number;
      /** Upper-cased code found in the text (withCurrency only). */
      currency: string | undefined;
      /** The currency sign written with the amount (`$`, `US$`, `€`, `S/`), as written. */
      sign: string | undefined;
    }
  | { ok: false /** why, for a message: "not a number", ... */; reason: string };

/**
 * Where a plain amount at the start of `text` ends: digits, optionally `sep` (`.` 46 or `,` 44) and
 * more digits (what `^\d+(?:[.,]\d+)?` matches); 0 when the text does not start with one.
 */
function plainAmountEnd(text: string, sep: number): number {
  const n = text.length;
  let i = 0;
  while (i < n && isDigit(text.charCodeAt(i))) i++;
  if (i === 0 || i === n || text.charCodeAt(i) !== sep) return i;
  let j = i + 1;
  while (j < n && isDigit(text.charCodeAt(j))) j++;
  // A separator with no digit after it is not part of the amount.
  return j === i + 1 ? i : j;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isAsciiLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** Thousands grouped by `,` (or a space or `'`), decimal point. */
const GROUPED_DOT = /^(?:\d{1,3}(?:,\d{3})+|\d{1,3}(?:[ \u00a0\u202f']\d{3})+|\d+)(?:\.\d+)?$|^\.\d+$/;
/** Thousands grouped by `.` (or a space or `'`), decimal comma. */
const GROUPED_COMMA = /^(?:\d{1,3}(?:\.\d{3})+|\d{1,3}(?:[ \u00a0\u202f']\d{3})+|\d+)(?:,\d+)?$|^,\d+$/;
const CODE_BEFORE = /^([A-Za-z]{3})(?![A-Za-z])\s*(.*)$/;
const CODE_AFTER = /^(.*?)\s*(?<![A-Za-z])([A-Za-z]{3})$/;
/** Currency symbols, optionally with a short letter prefix (`US$`, `CA$`, `R$`, `S/`). */
const SYMBOL_BEFORE = /^(?:[A-Za-z]{1,3})?[$€£¥₹₩₽₺₪₫฿₴₦₱₲₵₡₭₮₸₼₾¢]\s*|^S\/\s*/;
const SYMBOL_AFTER = /\s*[$€£¥₹₩₽₺₪₫฿₴₦₱₲₵₡₭₮₸₼₾¢]$/;
const LOOKS_DECIMAL_COMMA = /^\d{1,3}(?:\.\d{3})*,\d+$|^\d+,\d{1,2}$/;
const LOOKS_DECIMAL_DOT = /^\d{1,3}(?:,\d{3})*\.\d+$|^\d+\.\d{1,2}$/;

/** Longer price text is refused before any regex runs on it (keeps parsing linear). */
const MAX_PRICE_TEXT = 64;

const NOT_A_NUMBER: PriceParse = { ok: false, reason: "not a number" };
/** Digits a double cannot hold (`1e400` from JSON is Infinity, 400 nines in text too). */
const OUT_OF_RANGE: PriceParse = { ok: false, reason: "out of range (too large for a number)" };

/** NaN is not a number; ±Infinity is a number written too large. */
function notFinite(amount: number): PriceParse {
  return Number.isNaN(amount) ? NOT_A_NUMBER : OUT_OF_RANGE;
}

/**
 * Parse a price: a number as it is; text like `1234.56`, `1,234.56`, `$12.50`, `12.50 €`,
 * `-3.00` (negative numbers parse; the validator rejects them), with `decimalComma` `1.234,56` and
 * `12,50`, with `withCurrency` `15.00 USD` / `USD 15.00` (the code is returned upper-cased; it is
 * not checked against ISO 4217 here). A currency sign (`$`, `US$`, `€`) is returned as written in
 * `sign`, never turned into a code here: which codes it may stand for is the validator's question
 * (`signCurrencies`).
 * Ambiguous text is refused, not guessed: `12,50` without `decimalComma` is not 1250.
 */
export function parsePrice(value: string | number, options: PriceParseOptions = {}): PriceParse {
  if (typeof value === "number") {
    return Number.isFinite(value)
      ? { ok: true, amount: value, currency: undefined, sign: undefined }
      : notFinite(value);
  }
  const decimalComma = options.decimalComma === true;
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  let text = first > 32 && first < 127 && last > 32 && last < 127 ? value : value.trim();
  // Fast paths, without a regex: the common clean shapes `123.45` and (withCurrency) `123.45 USD`.
  const end = plainAmountEnd(text, decimalComma ? 44 : 46);
  if (end > 0 && end === text.length) {
    const amount = Number(decimalComma ? text.replace(",", ".") : text);
    return Number.isFinite(amount)
      ? { ok: true, amount, currency: undefined, sign: undefined }
      : notFinite(amount);
  }
  if (
    end > 0 &&
    end + 4 === text.length &&
    options.withCurrency === true &&
    text.length <= MAX_PRICE_TEXT &&
    text.charCodeAt(end) === 32 &&
    isAsciiLetter(text.charCodeAt(end + 1)) &&
    isAsciiLetter(text.charCodeAt(end + 2)) &&
    isAsciiLetter(text.charCodeAt(end + 3))
  ) {
    const number = text.slice(0, end);
    const amount = Number(decimalComma ? number.replace(",", ".") : number);
    if (!Number.isFinite(amount)) return notFinite(amount);
    return { ok: true, amount, currency: normalizeCurrency(text.slice(end + 1)), sign: undefined };
  }
  if (text === "") return { ok: false, reason: "empty" };
  if (text.length > MAX_PRICE_TEXT) return { ok: false, reason: "too long to be a price" };
  let currency: string | undefined;
  if (options.withCurrency === true) {
    const after = CODE_AFTER.exec(text);
    const before = after === null ? CODE_BEFORE.exec(text) : null;
    if (after !== null) {
      currency = (after[2] as string).toUpperCase();
      text = after[1] as string;
    } else if (before !== null) {
      currency = (before[1] as string).toUpperCase();
      text = before[2] as string;
    }
  }
  let negative = false;
  if (text.startsWith("-")) {
    negative = true;
    text = text.slice(1).trimStart();
  }
  // The sign is kept for the validator: `€10.00` in a USD record is a mismatch, not 10 USD.
  let sign: string | undefined;
  const signBefore = SYMBOL_BEFORE.exec(text);
  if (signBefore !== null) {
    sign = signBefore[0].trimEnd();
    text = text.slice(signBefore[0].length);
  }
  const signAfter = SYMBOL_AFTER.exec(text);
  if (signAfter !== null) {
    sign ??= signAfter[0].trimStart();
    text = text.slice(0, signAfter.index);
  }
  if (!negative && text.startsWith("-")) {
    negative = true;
    text = text.slice(1);
  }
  if (text === "") return NOT_A_NUMBER;
  let amount: number;
  if (decimalComma) {
    if (!GROUPED_COMMA.test(text)) {
      return LOOKS_DECIMAL_DOT.test(text) && !LOOKS_DECIMAL_COMMA.test(text)
        ? { ok: false, reason: "uses a decimal point but the decimal-comma option is on" }
        : withCurrencyHint(text, options);
    }
    amount = Number(text.replace(/[. \u00a0\u202f']/g, "").replace(",", "."));
  } else {
    if (!GROUPED_DOT.test(text)) {
      return LOOKS_DECIMAL_COMMA.test(text)
        ? { ok: false, reason: "looks like it uses a decimal comma; turn on the decimal-comma option" }
        : withCurrencyHint(text, options);
    }
    amount = Number(text.replace(/[, \u00a0\u202f']/g, ""));
  }
  if (!Number.isFinite(amount)) return notFinite(amount);
  return { ok: true, amount: negative ? -amount : amount, currency, sign };
}

const HAS_CODE = /^(?:[A-Za-z]{3}\s*[\d.,]|[\d.,].*?\s*[A-Za-z]{3}$)/;

function withCurrencyHint(text: string, options: PriceParseOptions): PriceParse {
  if (options.withCurrency !== true && HAS_CODE.test(text)) {
    return {
      ok: false,
      reason:
        'carries a currency code; turn on price-with-currency (--price-with-currency, or "priceWithCurrency": true in a mapping file\'s options)',
    };
  }
  return NOT_A_NUMBER;
}

// ---------------------------------------------------------------------------------------------
// Currency

/** Trim and upper-case a currency code (`" usd "` → `"USD"`); does not check it. */
export function normalizeCurrency(code: string): string {
  const t = code.trim();
  return t.length === 3 && isUpperAscii3(t) ? t : t.toUpperCase();
}

function isUpperAscii3(t: string): boolean {
  const a = t.charCodeAt(0);
  const b = t.charCodeAt(1);
  const c = t.charCodeAt(2);
  return a >= 65 && a <= 90 && b >= 65 && b <= 90 && c >= 65 && c <= 90;
}
