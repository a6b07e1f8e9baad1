/**
 * Spool a source that cannot be read twice the same way (stdin, an http(s) URL) to a temporary
 * file, once: a job that must read it twice (the push's publish gate counts, then sends) reads
 * the same bytes both times. The raw bytes are kept (still compressed, if they were).
 */
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { toAborted } from "../core/abort.js";
import { FeedpipeError } from "../core/errors.js";
import { isUrl, type OpenSourceOptions, openSource } from "./source.js";

export interface Spooled {
  /** The temporary file holding the source's bytes. */
  path: string;
  /** The source's own name (for messages and record origins). */
  name: string;
  /** Remove the temporary file. */
  cleanup(): Promise<void>;
}

/** A source that must be spooled to be read twice: stdin or a URL (a local file is read again). */
export function needsSpool(spec: string): boolean {
  return spec === "-" || isUrl(spec);
}

/** A file name that keeps the source's extension (`.ndjson`, `.gz` help sniffing). */
function spoolName(name: string): string {
  const last = basename(name.replace(/[?#].*$/, "")).replace(/[^A-Za-z0-9._-]/g, "_");
  return last === "" || last === "." || last === ".." ? "source" : last.slice(-100);
}

export async function spoolSource(spec: string, options: OpenSourceOptions = {}): Promise<Spooled> {
  const dir = await mkdtemp(join(tmpdir(), "feedpipe-spool-"));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    const src = await openSource(spec, options);
    const path = join(dir, spoolName(src.name));
    try {
      await pipeline(Readable.from(src.chunks), createWriteStream(path), { signal: options.signal });
    } catch (err) {
      await src.close();
      if (err instanceof FeedpipeError) throw err;
      if (options.signal?.aborted)
        throw toAborted(err, options.signal, `Reading ${src.name} was interrupted`);
      throw new FeedpipeError(
        "IO_WRITE",
        `Could not copy ${src.name} to ${path}: ${(err as Error).message}`,
        {
          cause: err,
          context: { source: src.name, path },
        },
      );
    }
    return { path, name: src.name, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
