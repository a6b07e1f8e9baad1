/** Plain-text presentation helpers for the Partnerize commands (pure functions, no I/O). */
import { redactUrl } from "../../core/errors.js";
import { inlineText } from "../../core/terminal-text.js";
import type { CampaignFeed, PublisherFeed } from "./envelope.js";

/** `register --check` refuses a feed when more than this percentage of its products is invalid. */
export const DEFAULT_MAX_INVALID_PERCENT = 50;

/** Unix seconds → "2024-11-21 07:30 UTC"; "never" when unknown. */
export function formatUnixTime(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds <= 0) return "never";
  return `${new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** Unix seconds → ISO 8601, or null. */
export function isoTime(seconds: number | undefined): string | null {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds <= 0) return null;
  return new Date(seconds * 1000).toISOString();
}

export function formatSize(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return "-";
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** Seconds between fetches → "1 h", "30 min", "90 s". */
export function formatFrequency(seconds: number | undefined): string {
  if (seconds === undefined) return "-";
  if (seconds > 0 && seconds % 86400 === 0) return `${seconds / 86400} d`;
  if (seconds > 0 && seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds > 0 && seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** An aligned text table: header row, then rows; the last column is not padded. */
export function renderTable(header: string[], rawRows: string[][]): string {
  // A cell is one line: a name or title from the server cannot start a row of its own (escaped
  // before the widths are measured, so the columns stay aligned).
  const rows = rawRows.map((r) => r.map(inlineText));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}

export function campaignFeedsTable(feeds: CampaignFeed[]): string {
  return renderTable(
    ["FEED ID", "NAME", "ACTIVE", "FETCH EVERY", "SIZE", "LAST PROCESSED", "LOCATION"],
    feeds.map((f) => [
      f.feedId,
      f.name,
      f.active ? "y" : "n",
      formatFrequency(f.fetchFrequency),
      formatSize(f.filesize),
      formatUnixTime(f.lastProcessed),
      redactUrl(f.location),
    ]),
  );
}

export function publisherFeedsTable(feeds: PublisherFeed[]): string {
  return renderTable(
    ["CAMPAIGN", "CAMPAIGN TITLE", "FEED ID", "NAME", "SIZE", "GZIP", "LAST PROCESSED", "FILE"],
    feeds.map((f) => [
      f.campaignId,
      f.campaignTitle,
      f.feedId,
      f.name,
      formatSize(f.filesize),
      f.locationCompressed ? formatSize(f.filesizeCompressed) : "-",
      formatUnixTime(f.lastProcessed),
      f.filename ?? "",
    ]),
  );
}

/** JSON view of a campaign feed (URLs redacted, times as ISO strings beside the Unix seconds). */
export function campaignFeedJson(f: CampaignFeed): Record<string, unknown> {
  return {
    feedId: f.feedId,
    campaignId: f.campaignId,
    name: f.name,
    location: redactUrl(f.location),
    active: f.active,
    fetchFrequency: f.fetchFrequency ?? null,
    filesize: f.filesize ?? null,
    lastProcessed: isoTime(f.lastProcessed),
    updated: isoTime(f.updated),
  };
}

export function publisherFeedJson(f: PublisherFeed): Record<string, unknown> {
  return {
    campaignId: f.campaignId,
    campaignTitle: f.campaignTitle,
    feedId: f.feedId,
    name: f.name,
    filename: f.filename ?? null,
    location: f.location ? redactUrl(f.location) : null,
    locationCompressed: f.locationCompressed ? redactUrl(f.locationCompressed) : null,
    filesize: f.filesize ?? null,
    filesizeCompressed: f.filesizeCompressed ?? null,
    lastProcessed: isoTime(f.lastProcessed),
    updated: isoTime(f.updated),
  };
}

/** One line telling the user a call is being retried (and why), for stderr. */
export function retryMessage(event: {
  attempt: number;
  delayMs: number;
  error: { code: string; message: string };
}): string {
  const why = event.error.code === "NET_RATE_LIMITED" ? "rate limited (HTTP 429)" : event.error.message;
  const wait =
    event.delayMs < 1000 ? `${Math.round(event.delayMs)} ms` : `${(event.delayMs / 1000).toFixed(1)} s`;
  return `feedpipe: Partnerize ${why}; retrying in ${wait} (attempt ${event.attempt + 1})\n`;
}
