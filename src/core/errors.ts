/**
 * One error family. Every fatal problem is a FeedpipeError with a stable string `code`; context
 * fields name the place (source, line, url). Secrets never appear in messages or enumerable fields.
 */

/** Every error code, as a constant (`ERROR_CODES.includes(err.code)`; the type is the union). */
export const ERROR_CODES = [
  "USAGE",
  "INVALID_OPTION",
  "CONFIG_MISSING",
  "CONFIG_INVALID",
  "MAPPING_INVALID",
  "PRESET_UNKNOWN",
  "LAYOUT_UNKNOWN",
  "IO_NOT_FOUND",
  "IO_READ",
  "IO_WRITE",
  "FEED_EMPTY",
  "FEED_FORMAT_UNKNOWN",
  "FEED_GZIP_TRUNCATED",
  "FEED_GZIP_CORRUPT",
  "FEED_ZIP_UNSUPPORTED",
  "FEED_ENCODING_UNSUPPORTED",
  "FEED_XML_MALFORMED",
  "FEED_XML_UNTERMINATED",
  "FEED_JSON_MALFORMED",
  "FEED_JSON_PATH_NOT_FOUND",
  "FEED_CSV_MALFORMED",
  "HTTP_STATUS",
  "HTTP_TIMEOUT",
  "HTTP_CONNECTION",
  "NET_AUTH_FAILED",
  "NET_RATE_LIMITED",
  "NET_BAD_REQUEST",
  "NET_API_ERROR",
  "NET_BAD_RESPONSE",
  "NET_DOWNLOAD_FAILED",
  "NET_LOCATION_REFUSED",
  "NET_REDIRECT_REFUSED",
  "HTTP_TOO_MANY_REDIRECTS",
  "NET_TIMEOUT",
  "PULL_PAGE_CAP",
  "PUBLISH_GATE",
  "STATE_ERROR",
  "LOCK_BUSY",
  "JOB_FILE_INVALID",
  "REPORT_INVALID",
  "CALLBACK_FAILED",
  "QUEUE_ERROR",
  "ABORTED",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorContext {
  source?: string | undefined;
  line?: number | undefined;
  url?: string | undefined;
  status?: number | undefined;
  field?: string | undefined;
  [key: string]: unknown;
}

export class FeedpipeError extends Error {
  override readonly name: string = "FeedpipeError";
  readonly code: ErrorCode;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.context = options.context ?? {};
  }
}

/** A network/HTTP failure; `retryable` and `retryAfterMs` drive the shared retry policy. */
export class NetworkError extends FeedpipeError {
  override readonly name: string = "NetworkError";
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: {
      cause?: unknown;
      context?: ErrorContext;
      retryable?: boolean;
      retryAfterMs?: number | undefined;
    } = {},
  ) {
    super(code, message, options);
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function isFeedpipeError(e: unknown): e is FeedpipeError {
  return e instanceof FeedpipeError;
}

/**
 * Query parameters that carry credentials: API keys and tokens, and signed-URL parameters (S3
 * `X-Amz-Signature` / `X-Amz-Credential` / `X-Amz-Security-Token`, GCS `X-Goog-*`, CloudFront
 * `Signature` / `Policy` / `Key-Pair-Id`, Azure SAS `sig`).
 */
const SECRET_PARAM =
  /token|secret|key|passw|signature|credential|auth|session|^sig$|^x-amz-|^x-goog-|^policy$/i;

/**
 * The secrets a URL carries, the values `redactUrl` masks: user name, password and every
 * secret-looking query parameter. Callers add them to the run's secrets, so a server's echo of
 * the URL (an error message quoting `fetch_url`) is masked too.
 */
export function urlSecrets(url: string): string[] {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return [];
  }
  const out: string[] = [];
  if (u.password) out.push(u.password, safeDecode(u.password));
  for (const [key, value] of u.searchParams) {
    if (SECRET_NAME.test(key) && value.length >= URL_SECRET_MIN) out.push(value);
  }
  return out.filter((s) => s.length >= URL_SECRET_MIN);
}

/**
 * Whole parameter names that carry a credential (`token`, `access_token`, `api_key`, `sig`,
 * `X-Amz-Signature`, ...). Stricter than SECRET_PARAM (which only decides what a shown URL masks):
 * these values are masked in everything the run prints, so `keyword=price` must not count.
 */
const SECRET_NAME =
  /^(?:(?:access|auth|api|app|client|refresh|session|secret|private|user|feed)[_-]?)?(?:token|key|apikey|secret|signature|sig|password|passwd|pwd|pass|credential|credentials)$|^x-amz-(?:signature|credential|security-token)$|^x-goog-(?:signature|credential)$/i;

/** Shorter query values are not masked everywhere (they would hit ordinary words). */
const URL_SECRET_MIN = 6;

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Remove credentials and secret-looking query parameters from a URL before it is shown. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username) u.username = "***";
    if (u.password) u.password = "***";
    for (const key of [...u.searchParams.keys()]) {
      if (SECRET_PARAM.test(key)) u.searchParams.set(key, "***");
    }
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * The forms a server may echo a secret in: as is, percent-encoded (both hex cases, and with `+`
 * for spaces as in form bodies), JSON-escaped, and base64 at each of the three byte alignments (so
 * the middle of `base64("key:secret")`, a Basic header, is caught for the key and for the secret).
 */
export function secretForms(secret: string): string[] {
  let cached = formsCache.get(secret);
  if (cached === undefined) {
    cached = computeForms(secret);
    if (formsCache.size > 64) formsCache.clear();
    formsCache.set(secret, cached);
  }
  return cached;
}

const formsCache = new Map<string, string[]>();

function computeForms(secret: string): string[] {
  const forms = new Set<string>([secret]);
  const pct = encodeURIComponent(secret);
  forms.add(pct);
  forms.add(pct.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()));
  forms.add(new URLSearchParams({ x: secret }).toString().slice(2));
  forms.add(JSON.stringify(secret).slice(1, -1));
  const bytes = Buffer.from(secret, "utf8");
  for (let k = 0; k < 3; k++) {
    const b64 = Buffer.concat([Buffer.alloc(k), bytes]).toString("base64");
    // Characters mixing prefix bits, and the last group (mixing what follows), are not stable.
    const start = Math.ceil((8 * k) / 6);
    const stableEnd = Math.floor((8 * (k + bytes.length)) / 6);
    const middle = b64.slice(start, stableEnd);
    if (middle.length >= 8) forms.add(middle);
  }
  return [...forms].filter((f) => f.length >= 4).sort((a, b) => b.length - a.length);
}

/**
 * Replace every occurrence of the given secrets (and their encoded forms, see secretForms) in a
 * text. Used as a last line of defence on anything printed or written (messages, dry-run output,
 * reports). Redact before cutting a text short (see cutText): a cut secret no longer matches.
 */
export function redactSecrets(text: string, secrets: Iterable<string | undefined>): string {
  let out = text;
  for (const s of secrets) {
    if (!s || s.length < 4) continue;
    if (s.length > LONG_SECRET) {
      // A secret this long (a signed token) is matched as written in its exact forms only: a
      // pattern of it would cost more to compile and run than the text is worth.
      for (const form of [...secretForms(s), Buffer.from(s, "utf8").toString("hex")]) {
        if (out.includes(form)) out = out.split(form).join("***");
      }
      continue;
    }
    out = redactWith(out, s, secretPattern(s));
  }
  return out;
}

/**
 * Mask the run's secrets in the text values of rows about to be exported (a server that echoes a
 * token into a tracking URL must not put it into the user's file); returns how many values
 * changed. Rows are changed in place.
 */
export function maskSecretsInRows(
  rows: Record<string, unknown>[],
  secrets: Iterable<string | undefined> | undefined,
): number {
  if (secrets === undefined) return 0;
  const list = [...secrets].filter((s): s is string => s !== undefined && s.length >= 4);
  if (list.length === 0) return 0;
  let masked = 0;
  for (const row of rows) {
    for (const key in row) {
      const v = row[key];
      if (typeof v !== "string" || v.length < 4) continue;
      const out = redactSecrets(v, list);
      if (out !== v) {
        row[key] = out;
        masked++;
      }
    }
  }
  return masked;
}

/** Secrets longer than this are redacted in their exact forms only (see redactSecrets). */
const LONG_SECRET = 512;

/** Every match of `p` in `text` as `***`; a match of the head goes on as far as the text spells the secret. */
function redactWith(text: string, secret: string, p: SecretPattern): string {
  const re = p.re;
  re.lastIndex = 0;
  let m = re.exec(text);
  if (m === null) return text;
  let out = "";
  let last = 0;
  while (m !== null) {
    let end = m.index + m[0].length;
    if (p.head !== undefined && m[0].length === p.head && m[0].toLowerCase() === p.headLower) {
      // The head of the secret: take as much more of it as the text goes on with.
      let k = p.head;
      while (k < secret.length && end < text.length && text[end]!.toLowerCase() === p.lower[k]) {
        k++;
        end++;
      }
    }
    out += `${text.slice(last, m.index)}***`;
    last = end;
    re.lastIndex = end;
    m = re.exec(text);
  }
  return out + text.slice(last);
}

interface SecretPattern {
  re: RegExp;
  /** Length of the head alternative (undefined when the secret is too short to have one). */
  head: number | undefined;
  headLower: string;
  lower: string;
}

/**
 * One case-insensitive pattern per secret: its encoded forms (secretForms), its hex spelling, and
 * a long head of it (a server that echoes the token cut short, `TokABCDEF0123456789x…`, still
 * gives away all but a few characters): at least 12 characters and three quarters of the secret.
 * The head is a plain literal (matched as far as the text goes on with the secret by redactWith),
 * never a nest of optional groups, so a long secret compiles to a small pattern.
 */
function secretPattern(secret: string): SecretPattern {
  let p = patternCache.get(secret);
  if (p === undefined) {
    const esc = (x: string) => x.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
    const min = Math.max(12, Math.ceil(secret.length * 0.75));
    const parts = secretForms(secret).map(esc);
    const hex = Buffer.from(secret, "utf8").toString("hex");
    if (hex.length >= 8) parts.unshift(hex);
    const head = secret.length > min ? min : undefined;
    if (head !== undefined) parts.push(esc(secret.slice(0, head)));
    const lower = secret.toLowerCase();
    p = {
      re: new RegExp(parts.join("|"), "gi"),
      head,
      headLower: head === undefined ? "" : secret.slice(0, head).toLowerCase(),
      lower: lower.length === secret.length ? lower : secret,
    };
    if (patternCache.size > 64) patternCache.clear();
    patternCache.set(secret, p);
  }
  return p;
}

const patternCache = new Map<string, SecretPattern>();

/**
 * Cut a (redacted) text to at most `max` characters plus "…", on one line, never inside a word:
 * the cut backs off to the last separator, so a secret the text still holds is never shown in
 * part (where a later redaction pass would no longer recognise it).
 */
export function cutText(text: string, max: number): string {
  const one = text.replace(/\s+/g, " ").trim();
  if (one.length <= max) return one;
  // Separators are only blanks, quotes and brackets: `token=…&bid=…` or `key:secret` is one word.
  const word = /[^\s"'`,;<>{}()[\]]/;
  let end = max;
  if (word.test(one[end - 1] ?? "") && word.test(one[end] ?? "")) {
    while (end > 0 && word.test(one[end - 1]!)) end--;
  }
  return `${one.slice(0, end).trimEnd()}…`;
}
