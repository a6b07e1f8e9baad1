/**
 * Where a PartnerBoost list answer keeps its list (publisher datafeed and Amazon product pages):
 * `data.list`, one level down, or `data` itself as an array; and the error of an answer with no
 * list at all (a success without products would replace a good export with an empty one).
 */
import { NetworkError, redactUrl } from "../../core/errors.js";
import { isObject, safeText, toCount } from "./values.js";

/** Where `data` keeps the list: `data` itself, or one level down (`data.data`, `data.result`). */
const NESTED_KEYS = ["data", "result", "results"];

/**
 * The object holding `list` (and `total`): `data`, or the one below it under `data`/`result`;
 * undefined when there is none (`data` missing or null, or no `list` at any of those places).
 * A `data` that is itself an array is the list.
 */
export function listHolder(data: unknown): Record<string, unknown> | undefined {
  if (Array.isArray(data)) return { list: data };
  if (!isObject(data)) return undefined;
  if ("list" in data || toCount(data.total) === 0) return data; // `{"total": 0}`: nothing matched
  for (const k of NESTED_KEYS) {
    const inner = data[k];
    if (isObject(inner) && "list" in inner) return { ...data, ...inner };
    if (Array.isArray(inner)) return { ...data, list: inner };
  }
  return undefined;
}

/** A list answer without a list; `shape` says what came instead (no server text). */
export class NotAListError extends Error {
  constructor(readonly shape: string) {
    super(`no data.list (${shape})`);
  }
}

export function describeShape(data: unknown): string {
  if (data === undefined) return "no data";
  if (data === null) return "data is null";
  if (!isObject(data)) return `data is a ${typeof data}`;
  const keys = Object.keys(data)
    .slice(0, 5)
    .map((k) => safeText(k, 30));
  return keys.length === 0 ? "data is an empty object" : `data has only ${keys.join(", ")}`;
}

/**
 * The NET_BAD_RESPONSE of a list answer without a list: `what` names the page ("page", "Amazon
 * products page"), `kind` the list ("product", "brand"), `shape` what came instead (no server text).
 */
export function noListError(
  url: string,
  what: string,
  page: number,
  kind: string,
  shape: string,
): NetworkError {
  const shown = redactUrl(url);
  return new NetworkError(
    "NET_BAD_RESPONSE",
    `PartnerBoost at ${shown} answered ${what} ${page} without a ${kind} list (${shape}; expected data.list)`,
    { context: { url: shown, page } },
  );
}
