/**
 * One error family. Every fatal problem is a FeedpipeError with a stable string `code`; context
 * fields name the place (source, line, url). Secrets never appear in messages or enumerable fields.
 */

export type ErrorCode =
  | "USAGE"
  | "INVALID_OPTION"
  | "CONFIG_MISSING"
  | "CONFIG_INVALID"
  | "MAPPING_INVALID"
  | "PRESET_UNKNOWN"
  | "LAYOUT_UNKNOWN"
  | "IO_NOT_FOUND"
  | "IO_READ"
  | "IO_WRITE"
  | "FEED_EMPTY"
  | "FEED_FORMAT_UNKNOWN"
  | "FEED_GZIP_TRUNCATED"
  | "FEED_GZIP_CORRUPT"
  | "FEED_ZIP_UNSUPPORTED"
  | "FEED_ENCODING_UNSUPPORTED"
  | "FEED_XML_MALFORMED"
  | "FEED_XML_UNTERMINATED"
  | "FEED_JSON_MALFORMED"
  | "FEED_JSON_PATH_NOT_FOUND"
  | "FEED_CSV_MALFORMED"
  | "HTTP_STATUS"
  | "HTTP_TIMEOUT"
  | "HTTP_CONNECTION"
  | "NET_AUTH_FAILED"
  | "NET_RATE_LIMITED"
  | "NET_BAD_REQUEST"
  | "NET_API_ERROR"
  | "NET_BAD_RESPONSE"
  | "NET_DOWNLOAD_FAILED"
  | "NET_TIMEOUT"
  | "PUBLISH_GATE"
  | "STATE_ERROR"
  | "REPORT_INVALID"
  | "ABORTED";

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

/** Remove credentials and secret-looking query parameters from a URL before it is shown. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username) u.username = "***";
    if (u.password) u.password = "***";
    for (const key of [...u.searchParams.keys()]) {
      if (/token|secret|key|password|signature|auth/i.test(key)) u.searchParams.set(key, "***");
    }
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * Replace every occurrence of the given secrets in a text. Used as a last line of defence on
 * anything printed or written (messages, dry-run output, reports).
 */
export function redactSecrets(text: string, secrets: Iterable<string | undefined>): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 4) out = out.split(s).join("***");
  }
  return out;
}
