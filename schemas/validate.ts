/**
 * Normalise and check one candidate product (the raw values a mapping produced).
 *
 * This is the per-record hot path, so it does not run zod per record: the same constraints as
 * `productSchema` are checked by hand with precompiled regexes and sets, and options are resolved
 * (with zod) once in {@link compileValidator}. Every problem becomes an Issue with a rule code from
 * RULES; the product is returned only when no issue has error severity.
 */
import { z } from "zod";
import { FeedpipeError } from "../src/core/errors.js";
import { PLAIN_FIELDS } from "../src/core/plain-text.js";
import { clip, type Issue } from "../src/core/record.js";
import { isCurrencyCode, signCurrencies, WITHDRAWN_CURRENCIES } from "./currencies.js";
import {
  checkGtin,
  type GtinCode,
  decodeEntities,
  HTML_TAG_TEST,
  isPlainText,
  looksLikeHtml,
  normalizeAvailability,
  normalizeCurrency,
  normalizeMultiline,
  normalizeText,
  type PriceParse,
  parsePrice,
  stripHtml,
} from "./normalize.js";
import { isHttpUrl, type Product, type ProductField } from "./product.js";
import { LIMITS, RULES, type RuleCode } from "./rules.js";

/** Raw values from mapping: text, numbers, or nothing. */
export type CandidateProduct = Partial<Record<ProductField, string | number | null | undefined>>;

export interface ValidateOptions {
  /** Prices use a decimal comma: `1.234,56`, `12,50`. */
  decimalComma?: boolean | undefined;
  /** Price text may carry a currency like `15.00 USD`; it fills an empty currency field. */
  priceWithCurrency?: boolean | undefined;
  /** Remove HTML tags from description, keeping the text and line breaks. */
  stripHtmlDescription?: boolean | undefined;
}

export interface ValidationResult {
  /** Set iff no error-severity issue. */
  product: Product | undefined;
  issues: Issue[];
}

export const validateOptionsSchema = z.strictObject({
  decimalComma: z.boolean().optional(),
  priceWithCurrency: z.boolean().optional(),
  stripHtmlDescription: z.boolean().optional(),
});

export interface ResolvedValidateOptions {
  decimalComma: boolean;
  priceWithCurrency: boolean;
  stripHtmlDescription: boolean;
}

/**
 * Check options once, before any I/O. Throws FeedpipeError INVALID_OPTION
 * ("Invalid option decimalComma: expected boolean, got string").
 */
export function resolveValidateOptions(options: ValidateOptions | undefined = {}): ResolvedValidateOptions {
  const parsed = validateOptionsSchema.safeParse(options ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue?.path.length
      ? issue.path.join(".")
      : String((issue as { keys?: string[] } | undefined)?.keys?.[0] ?? "");
    const got = key === "" ? typeof options : describeType((options as Record<string, unknown>)[key]);
    const expected =
      issue?.code === "unrecognized_keys"
        ? "one of decimalComma, priceWithCurrency, stripHtmlDescription"
        : "boolean";
    throw new FeedpipeError(
      "INVALID_OPTION",
      `Invalid option ${key || "options"}: expected ${expected}, got ${got}`,
    );
  }
  return {
    decimalComma: parsed.data.decimalComma === true,
    priceWithCurrency: parsed.data.priceWithCurrency === true,
    stripHtmlDescription: parsed.data.stripHtmlDescription === true,
  };
}

function describeType(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "string") return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return typeof v;
}

/**
 * Raw value to trimmed text; undefined when absent or blank. Values outside the declared type
 * (a boolean or an object from a loose mapping) become text too, so they fail visibly instead of
 * crashing or vanishing.
 */
function rawText(v: unknown): string | undefined {
  if (typeof v === "string") {
    // Fast path: printable ASCII at both ends means there is nothing to trim.
    const first = v.charCodeAt(0);
    const last = v.charCodeAt(v.length - 1);
    if (first > 32 && first < 127 && last > 32 && last < 127) return v;
    const t = v.trim();
    return t === "" ? undefined : t;
  }
  if (v === undefined || v === null) return undefined;
  if (typeof v === "number") return Number.isNaN(v) ? undefined : String(v);
  if (typeof v === "object") return rawText(JSON.stringify(v));
  return rawText(String(v));
}

/** A price value: a number as it is (NaN and Infinity are then invalid), anything else as trimmed text. */
function rawPrice(v: unknown): string | number | undefined {
  return typeof v === "number" ? v : rawText(v);
}

/** A value quoted for a message, cut to a readable length (NaN and Infinity by name, not `null`). */
function q(v: string | number): string {
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  return JSON.stringify(typeof v === "string" ? clip(v, 100) : v);
}

function issue(code: RuleCode, field: ProductField, message: string, value: unknown): Issue {
  return { code, severity: RULES[code].severity, field, message, value };
}

/** The first three codes of a sign's currencies (`USD, CAD, AUD, …`). */
function someCodes(codes: readonly string[]): string {
  return codes.length > 3 ? `${codes.slice(0, 3).join(", ")}, …` : codes.join(", ");
}

/** The one currency a price sign stands for (`€` EUR), if only one uses it. */
function soleSignCurrency(sign: string | undefined): string | undefined {
  if (sign === undefined) return undefined;
  const codes = signCurrencies(sign);
  return codes?.length === 1 ? codes[0] : undefined;
}

const STATED_CODE = /(?:^|[^A-Za-z])[A-Za-z]{3}(?:$|[^A-Za-z])/;

/** A price text that failed to parse (`amount` undefined) but names a currency code (`-5 USD`). */
function failedWithCode(value: string | number | undefined, amount: number | undefined): boolean {
  return amount === undefined && typeof value === "string" && STATED_CODE.test(value);
}

function missingCurrency(value: unknown, sign: string | undefined): Issue {
  if (sign === undefined) return missing("currency", value);
  return issue(
    "REQUIRED_MISSING",
    "currency",
    `Required field currency is missing or empty (the price's ${sign} is used by ${someCodes(signCurrencies(sign) ?? [])}: pass --currency)`,
    value,
  );
}

function missing(field: ProductField, value: unknown): Issue {
  return issue("REQUIRED_MISSING", field, `Required field ${field} is missing or empty`, value);
}

const GTIN_MESSAGES: Record<GtinCode, (v: string) => string> = {
  GTIN_SCIENTIFIC: (v) =>
    `gtin ${q(v)} is in scientific notation: a spreadsheet mangled the barcode and its digits cannot be recovered; re-export the column as text`,
  GTIN_NOT_NUMERIC: (v) =>
    /^\d+\.0+$/.test(v)
      ? `gtin ${q(v)} was exported as a decimal number; export the column as text`
      : `gtin ${q(v)} must contain only digits (spaces and dashes are allowed)`,
  GTIN_LENGTH: (v) =>
    v.length === 10
      ? `gtin ${q(v)} has 10 digits (an ISBN-10?); a GTIN has 8, 12, 13 or 14 digits (use the ISBN-13)`
      : `gtin ${q(v)} has ${v.length} digits; a GTIN has 8, 12, 13 or 14 (leading zeros lost?)`,
  GTIN_ALL_ZEROS: (v) => `gtin ${q(v)} is all zeros, a placeholder rather than a barcode`,
  GTIN_CHECK_DIGIT: (v) => `gtin ${q(v)} has a wrong check digit (GS1 mod-10)`,
  GTIN_RESTRICTED: (v) =>
    `gtin ${q(v)} uses a GS1 restricted-circulation prefix (store-internal, variable-weight or company-internal number), not a trade item GTIN`,
  GTIN_COUPON: (v) => `gtin ${q(v)} uses a GS1 coupon prefix, not a trade item GTIN`,
};

const PLAIN_NAME = 1 << PLAIN_FIELDS.indexOf("name");
const PLAIN_DESCRIPTION = 1 << PLAIN_FIELDS.indexOf("description");
const PLAIN_CATEGORY = 1 << PLAIN_FIELDS.indexOf("category");
const PLAIN_BRAND = 1 << PLAIN_FIELDS.indexOf("brand");
const PLAIN_MPN = 1 << PLAIN_FIELDS.indexOf("mpn");

function urlProblem(field: "url" | "image", url: string): string {
  if (/\s/.test(url)) return `${field} contains spaces; encode them as %20`;
  if (/[\x00-\x1f\x7f]/.test(url)) return `${field} contains control characters`;
  if (url.startsWith("//")) return `${field} is protocol-relative ("//..."); write it with https:`;
  if (url.startsWith("/")) return `${field} is a relative path; it must be an absolute http(s) URL`;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url);
  if (scheme !== null && !/^https?$/i.test(scheme[1] as string)) {
    return `${field} uses the ${(scheme[1] as string).toLowerCase()}: scheme; only http and https are allowed`;
  }
  if (scheme === null) return `${field} is not an absolute URL (no http:// or https://)`;
  return `${field} is not a valid http(s) URL`;
}

function currencyMessage(code: string, field: string): string {
  const replaced = WITHDRAWN_CURRENCIES[code];
  const where = field === "currency" ? "currency" : `the currency in ${field}`;
  if (replaced !== undefined) return `${where} ${code} is a withdrawn ISO 4217 code; use ${replaced}`;
  return `${where} ${q(code)} is not an ISO 4217 currency code (e.g. USD, EUR, GBP)`;
}

/**
 * PRICE_CURRENCY_MISMATCH when a price text states another currency than the record's (`currency`,
 * a valid code): its code (priceWithCurrency) first, else its sign, so `€10.00` in a USD record is
 * not pushed as 10 USD (while `$10.00` in CAD is fine: `$` is a sign of CAD too, see
 * signCurrencies). Undefined when they agree or the text states none. The mapping calls it for a
 * price its `price` / `split_price` transform read (transforms/mapping.ts), where only the amount
 * reaches the validator.
 */
export function priceCurrencyMismatch(
  field: "price" | "old_price",
  code: string | undefined,
  sign: string | undefined,
  currency: string,
  value: unknown,
): Issue | undefined {
  let stated: string | undefined;
  if (code !== undefined && code !== currency) stated = code;
  else if (sign !== undefined) {
    const codes = signCurrencies(sign);
    if (codes !== undefined && !codes.includes(currency)) {
      stated = codes.length === 1 ? codes[0] : `${sign} (${someCodes(codes)})`;
    }
  }
  if (stated === undefined) return undefined;
  return issue(
    "PRICE_CURRENCY_MISMATCH",
    field,
    `${field} is in ${stated} but currency is ${currency}`,
    value,
  );
}

/**
 * Compile a validator with options resolved once. The returned function is the hot path: call it
 * per candidate. Throws FeedpipeError INVALID_OPTION on bad options.
 */
export function compileValidator(
  options?: ValidateOptions,
): (c: CandidateProduct, plain?: number) => ValidationResult {
  const opts = resolveValidateOptions(options);
  const priceOptions = { decimalComma: opts.decimalComma, withCurrency: opts.priceWithCurrency };
  const stripDescription = opts.stripHtmlDescription;

  function checkPrice(
    field: "price" | "old_price",
    raw: string | number,
    issues: Issue[],
  ): { amount: number; currency: string | undefined; sign: string | undefined } | undefined {
    const parsed: PriceParse = parsePrice(raw, priceOptions);
    if (parsed.ok && parsed.amount >= 0) return parsed;
    const code: RuleCode = field === "price" ? "PRICE_INVALID" : "OLD_PRICE_INVALID";
    const why = parsed.ok ? "is negative" : `is not a valid price: ${parsed.reason}`;
    issues.push(issue(code, field, `${field} ${q(raw)} ${why}`, raw));
    return undefined;
  }

  /**
   * `plain`: bits of PLAIN_FIELDS (src/core/plain-text.ts) whose values are known to pass
   * `isPlainText` (the reader thread's marks, src/formats/plain-marks.ts): their test is skipped.
   */
  return function validate(c: CandidateProduct, plain = 0): ValidationResult {
    const issues: Issue[] = [];

    // sku: an identifier, trimmed only.
    const sku = rawText(c.sku);
    if (sku === undefined) issues.push(missing("sku", c.sku));
    else if (sku.length > LIMITS.sku) {
      const message = `sku has ${sku.length} characters; Google and CJ accept at most ${LIMITS.sku}`;
      issues.push(issue("SKU_TOO_LONG", "sku", message, sku));
    }

    // name
    let name = rawText(c.name);
    if (name !== undefined && (plain & PLAIN_NAME) === 0 && !isPlainText(name))
      name = normalizeText(decodeEntities(name)) || undefined;
    if (name === undefined) issues.push(missing("name", c.name));
    else {
      if (name.length > LIMITS.name) {
        const message = `name has ${name.length} characters; keep it to ${LIMITS.name}`;
        issues.push(issue("NAME_TOO_LONG", "name", message, name));
      }
      if (name.indexOf("<") !== -1 && HTML_TAG_TEST.test(name)) {
        issues.push(issue("NAME_HTML", "name", "name contains HTML tags; use plain text", name));
      }
    }

    // url, image: trimmed, never rewritten.
    const url = rawText(c.url);
    if (url === undefined) issues.push(missing("url", c.url));
    else {
      if (url.length > LIMITS.url) {
        const message = `url has ${url.length} characters; the limit is ${LIMITS.url}`;
        issues.push(issue("URL_TOO_LONG", "url", message, url));
      }
      if (!isHttpUrl(url)) issues.push(issue("URL_INVALID", "url", urlProblem("url", url), url));
    }
    const image = rawText(c.image);
    if (image === undefined) issues.push(missing("image", c.image));
    else {
      if (image.length > LIMITS.url) {
        const message = `image has ${image.length} characters; the limit is ${LIMITS.url}`;
        issues.push(issue("URL_TOO_LONG", "image", message, image));
      }
      if (!isHttpUrl(image)) {
        issues.push(issue("IMAGE_URL_INVALID", "image", urlProblem("image", image), image));
      }
    }

    // price, currency, old_price: checked together, they share the currency.
    let price: number | undefined;
    let priceCurrency: string | undefined;
    let priceSign: string | undefined;
    const priceValue = rawPrice(c.price);
    if (priceValue === undefined) issues.push(missing("price", c.price));
    else {
      const p = checkPrice("price", priceValue, issues);
      if (p !== undefined) {
        price = p.amount;
        priceCurrency = p.currency;
        priceSign = p.sign;
      }
    }
    let oldPrice: number | undefined;
    let oldPriceCurrency: string | undefined;
    let oldPriceSign: string | undefined;
    const oldPriceValue = rawPrice(c.old_price);
    if (oldPriceValue !== undefined) {
      const p = checkPrice("old_price", oldPriceValue, issues);
      if (p !== undefined) {
        oldPrice = p.amount;
        oldPriceCurrency = p.currency;
        oldPriceSign = p.sign;
      }
    }

    const currencyText = rawText(c.currency);
    let currency = currencyText === undefined ? undefined : normalizeCurrency(currencyText);
    let currencyOk = false;
    if (currency === undefined) {
      // An empty currency field is filled from the price text (priceWithCurrency): its code, else
      // a sign only one currency uses (`€`, `zł`, `US$`; `$` and `£` alone do not say which).
      currency = priceCurrency ?? oldPriceCurrency ?? soleSignCurrency(priceSign ?? oldPriceSign);
      if (currency === undefined) {
        // A price text that failed but states its code (`-5 USD`) is reported once, as the price.
        if (!(
          opts.priceWithCurrency &&
          (failedWithCode(priceValue, price) || failedWithCode(oldPriceValue, oldPrice))
        ))
          issues.push(missingCurrency(c.currency, priceSign ?? oldPriceSign));
      } else if (!isCurrencyCode(currency)) {
        const field = priceCurrency !== undefined ? "price" : "old_price";
        issues.push(issue("CURRENCY_INVALID", field, currencyMessage(currency, field), c[field]));
      } else currencyOk = true;
    } else if (!isCurrencyCode(currency)) {
      issues.push(issue("CURRENCY_INVALID", "currency", currencyMessage(currency, "currency"), c.currency));
    } else currencyOk = true;
    // A mismatch is reported against a valid currency only (an invalid one is reported already).
    // A sign is only compared: an empty currency is filled from a code, as before, never from a sign
    // (`$` alone does not say which dollar; the mapping's `price` transform reads signs as codes).
    if (currencyOk) {
      if (priceCurrency !== undefined || priceSign !== undefined) {
        const m = priceCurrencyMismatch("price", priceCurrency, priceSign, currency as string, c.price);
        if (m !== undefined) issues.push(m);
      }
      if (oldPriceCurrency !== undefined || oldPriceSign !== undefined) {
        const m = priceCurrencyMismatch(
          "old_price",
          oldPriceCurrency,
          oldPriceSign,
          currency as string,
          c.old_price,
        );
        if (m !== undefined) issues.push(m);
      }
    }

    // description: HTML stripped on request; HTML kept as HTML keeps its entities (they are markup).
    let description = rawText(c.description);
    if (description !== undefined) {
      if (stripDescription) description = stripHtml(description);
      else if ((plain & PLAIN_DESCRIPTION) !== 0 || isPlainText(description)) {
        // Nothing to decode, tidy or keep as HTML: the text stays as it is.
      } else if (looksLikeHtml(description)) {
        description = normalizeMultiline(description);
      } else description = normalizeMultiline(decodeEntities(description));
      if (description === "") description = undefined;
      else if (description.length > LIMITS.description) {
        const message = `description has ${description.length} characters; the limit is ${LIMITS.description}`;
        issues.push(issue("DESCRIPTION_TOO_LONG", "description", message, `${description.slice(0, 200)}…`));
      }
    }

    let category = rawText(c.category);
    if (category !== undefined && (plain & PLAIN_CATEGORY) === 0 && !isPlainText(category)) {
      category = normalizeText(decodeEntities(category)) || undefined;
    }

    if (price !== undefined && oldPrice !== undefined && oldPrice < price) {
      const message = `old_price ${oldPrice} is lower than price ${price}; old_price should be the regular (higher) price`;
      issues.push(issue("OLD_PRICE_LOWER", "old_price", message, c.old_price));
    }

    let brand = rawText(c.brand);
    if (brand !== undefined && (plain & PLAIN_BRAND) === 0 && !isPlainText(brand))
      brand = normalizeText(decodeEntities(brand)) || undefined;

    // gtin: separators removed, digits kept as given.
    let gtin = rawText(c.gtin);
    if (gtin !== undefined) {
      const g = checkGtin(gtin);
      if (g.code !== undefined) {
        const message = GTIN_MESSAGES[g.code](g.code === "GTIN_SCIENTIFIC" ? gtin : g.normalized);
        issues.push(issue(g.code, "gtin", message, c.gtin));
      }
      gtin = g.normalized;
    }

    let mpn = rawText(c.mpn);
    if (mpn !== undefined && (plain & PLAIN_MPN) === 0 && !isPlainText(mpn)) mpn = normalizeText(mpn);

    // availability: unknown values are kept as given (trimmed) and warned about.
    let availability = rawText(c.availability);
    if (availability !== undefined) {
      const a = normalizeAvailability(availability);
      if (a !== undefined) availability = a;
      else {
        const message = `availability ${q(availability)} is not one of in_stock, out_of_stock, preorder, backorder`;
        issues.push(issue("AVAILABILITY_UNKNOWN", "availability", message, c.availability));
      }
    }

    for (let i = 0; i < issues.length; i++) {
      if ((issues[i] as Issue).severity === "error") return { product: undefined, issues };
    }

    const product: Product = {
      sku: sku as string,
      name: name as string,
      url: url as string,
      image: image as string,
      price: price as number,
      currency: currency as string,
    };
    if (description !== undefined) product.description = description;
    if (category !== undefined) product.category = category;
    if (oldPrice !== undefined) product.old_price = oldPrice;
    if (brand !== undefined) product.brand = brand;
    if (gtin !== undefined) product.gtin = gtin;
    if (mpn !== undefined) product.mpn = mpn;
    if (availability !== undefined) product.availability = availability;
    return { product, issues };
  };
}

/** Compiled validators for the eight plain combinations of the three boolean options. */
const compiled: ((c: CandidateProduct) => ValidationResult)[] = [];

/** 0-7 for options that are exactly known keys with boolean/undefined values; -1 otherwise. */
function optionsKey(o: ValidateOptions): number {
  let key = 0;
  for (const k in o) {
    const v = (o as Record<string, unknown>)[k];
    if (v !== undefined && typeof v !== "boolean") return -1;
    if (k === "decimalComma") key |= v === true ? 1 : 0;
    else if (k === "priceWithCurrency") key |= v === true ? 2 : 0;
    else if (k === "stripHtmlDescription") key |= v === true ? 4 : 0;
    else return -1;
  }
  return key;
}

/**
 * Normalise then check one candidate. The validator for each option combination is compiled once
 * and cached, so calling this in a loop is fine; {@link compileValidator} is the explicit form.
 * Throws FeedpipeError INVALID_OPTION on bad options.
 */
export function validateCandidate(c: CandidateProduct, options?: ValidateOptions): ValidationResult {
  const key = options === undefined ? 0 : optionsKey(options);
  if (key < 0) return compileValidator(options)(c);
  let v = compiled[key];
  if (v === undefined) {
    v = compileValidator({
      decimalComma: (key & 1) !== 0,
      priceWithCurrency: (key & 2) !== 0,
      stripHtmlDescription: (key & 4) !== 0,
    });
    compiled[key] = v;
  }
  return v(c);
}
