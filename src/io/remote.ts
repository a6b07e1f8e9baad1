/**
 * Guards for locations that come from a server rather than from the user.
 *
 * `openFeed` accepts local paths and `-` (stdin) because users type them. A download location that
 * an API response supplies (Partnerize `location` / `location_compressed`, PartnerBoost's bulk
 * `data.url`) must never reach it unless it is an http(s) URL: otherwise a hostile or broken API
 * could make a pull read a private local file into its output, echo a system file in an error,
 * read stdin, or read `/dev/zero` forever.
 */
import { NetworkError } from "../core/errors.js";

/** A short, printable description of a refused value: control characters escaped, length capped. */
export function describeRefused(value: string): string {
  const cut = value.length > 60 ? `${value.slice(0, 60)}…` : value;
  // JSON escaping turns control characters (and quotes) into visible escapes.
  const shown = JSON.stringify(cut);
  if (value === "-") return `"-" (standard input)`;
  if (value.trim() === "") return "an empty value";
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value);
  if (scheme && scheme[1]!.length > 1) return `a ${scheme[1]!.toLowerCase()}: URL`;
  return `${shown} (a local path)`;
}

/**
 * The URL of a server-supplied location, if it is an absolute http(s) URL with a host. Anything
 * else (a local path, `-`, `file:`, `data:`, a relative reference) throws NET_LOCATION_REFUSED,
 * naming `what` (e.g. "Partnerize feed location") without echoing the raw value.
 */
export function requireRemoteUrl(location: string, what: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(location);
  } catch {
    url = undefined;
  }
  // The raw text too: `http:/../x` or `https:notes.csv` parse as URLs, but a reader that tells
  // URLs from paths by `http(s)://` would open them as local paths.
  if (
    url &&
    (url.protocol === "http:" || url.protocol === "https:") &&
    url.hostname !== "" &&
    /^https?:\/\/[^/\\]/i.test(location)
  )
    return url;
  throw new NetworkError(
    "NET_LOCATION_REFUSED",
    `Refused the ${what}: it is ${describeRefused(location)}, not an http(s) URL; ` +
      "a location sent by a server is only ever downloaded, never read from this machine",
    { context: { field: what } },
  );
}
