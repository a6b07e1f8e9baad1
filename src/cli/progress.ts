/**
 * A one-line progress reporter for stderr: records, rate, bytes, and percent + ETA when the total
 * is known. `update()` is called once per batch and is cheap: it only adds counters and checks the
 * clock; the line is redrawn (carriage return + clear line) at most every `intervalMs`.
 *
 * When disabled it writes nothing at all, not even the summary passed to `done()`: commands print
 * their own result lines.
 */
import type { CliIO, TextOut } from "./context.js";

export type ProgressUnit = "bytes" | "records" | "pages";

export interface ProgressOptions {
  stream: TextOut;
  enabled: boolean;
  /** Total of `unit` when known (file size in bytes, number of records or pages). */
  total?: number | undefined;
  /** What `total` counts, and so what the percent and ETA are about. */
  unit: ProgressUnit;
  label: string;
  /** Minimum time between redraws (default 200 ms). */
  intervalMs?: number | undefined;
  /** Clock in milliseconds (tests inject a fake one). */
  now?: (() => number) | undefined;
  /** Extra text for the end of the line (e.g. the current request rate and the learned limit). */
  status?: (() => string | undefined) | undefined;
}

export interface ProgressDelta {
  records?: number | undefined;
  bytes?: number | undefined;
  pages?: number | undefined;
}

export interface Progress {
  update(delta: ProgressDelta): void;
  /** Clear the progress line; write `summary` (plus a newline) in its place when given. */
  done(summary?: string): void;
  /** Counters so far (for callers and tests). */
  readonly counts: { records: number; bytes: number; pages: number };
}

const CLEAR = "\r\x1b[K";

/** Progress is shown only on an interactive stderr, not with --quiet, not in CI, not on a dumb terminal. */
export function progressEnabled(io: Pick<CliIO, "stderr" | "env">, quiet: boolean): boolean {
  if (quiet || io.stderr.isTTY !== true) return false;
  const ci = io.env.CI;
  if (ci !== undefined && ci !== "" && ci !== "0" && ci.toLowerCase() !== "false") return false;
  return io.env.TERM !== "dumb";
}

/** 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  const s = String(Math.round(n));
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Bytes in binary units: "512 B", "1.5 KiB", "12.3 MiB", "2.0 GiB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** Seconds → "0:07", "12:05", "1:02:03". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

export function createProgress(options: ProgressOptions): Progress {
  const counts = { records: 0, bytes: 0, pages: 0 };
  const enabled = options.enabled;
  const interval = options.intervalMs ?? 200;
  const now = options.now ?? (() => performance.now());
  const start = enabled ? now() : 0;
  let lastDraw = start;
  let drawn = false;
  let finished = false;

  const render = (t: number): string => {
    const elapsed = (t - start) / 1000;
    const parts: string[] = [];
    const rate = elapsed > 0 ? counts.records / elapsed : 0;
    parts.push(`${formatCount(counts.records)} records`);
    if (elapsed > 0) parts.push(`${formatCount(rate)}/s`);
    if (counts.pages > 0 || options.unit === "pages") parts.push(`${formatCount(counts.pages)} pages`);
    if (counts.bytes > 0 || options.unit === "bytes") parts.push(formatBytes(counts.bytes));
    const total = options.total;
    if (total !== undefined && total > 0) {
      const done = counts[options.unit];
      const fraction = Math.min(1, done / total);
      parts.push(`${(fraction * 100).toFixed(0)}%`);
      const unitRate = elapsed > 0 ? done / elapsed : 0;
      if (unitRate > 0 && done < total) parts.push(`ETA ${formatDuration((total - done) / unitRate)}`);
    }
    const status = options.status?.();
    if (status) parts.push(status);
    return `${options.label}: ${parts.join(" · ")}`;
  };

  return {
    counts,
    update(delta) {
      if (delta.records) counts.records += delta.records;
      if (delta.bytes) counts.bytes += delta.bytes;
      if (delta.pages) counts.pages += delta.pages;
      if (!enabled || finished) return;
      const t = now();
      if (t - lastDraw < interval) return;
      lastDraw = t;
      drawn = true;
      options.stream.write(CLEAR + render(t));
    },
    done(summary) {
      if (!enabled || finished) return;
      finished = true;
      if (drawn) options.stream.write(CLEAR);
      if (summary !== undefined) options.stream.write(summary.endsWith("\n") ? summary : summary + "\n");
    },
  };
}
