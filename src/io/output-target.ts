/**
 * What an output path really is, before anything is written to it.
 *
 * - absent or a regular file: written atomically (temporary file beside it, renamed over it).
 * - a symlink: followed. The file it points to is what gets written (atomically, beside the real
 *   file), so the link itself stays a link and a link to `/dev/null` writes to `/dev/null`. A link
 *   whose target does not exist is refused: creating files at a place a link chose is not what
 *   `-o link` asked for.
 * - a character device (`/dev/null`, `/dev/full`, a terminal) or a FIFO: written in place,
 *   streaming, never renamed over (renaming would replace the device node itself).
 * - a directory, block device or socket: refused.
 *
 * `sameOutputFile` tells whether two paths name one file (resolved paths, then device + inode), so
 * `-o out.csv --rejects ./out.csv` or `convert in.csv -o in.csv` can be refused before any write.
 */
import type { Stats } from "node:fs";
import { lstat, realpath, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { FeedpipeError } from "../core/errors.js";

export type OutputTarget =
  | { kind: "file"; path: string; mode: number | undefined }
  | { kind: "special"; path: string; what: "character device" | "FIFO" };

function refuse(target: string, why: string, errno?: string): FeedpipeError {
  return new FeedpipeError("IO_WRITE", `Could not write ${target}: ${why}`, {
    context: { path: target, ...(errno ? { errno } : {}) },
  });
}

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** Classify a path that exists (already resolved through symlinks). */
function classify(target: string, real: string, st: Stats): OutputTarget {
  if (st.isFile()) return { kind: "file", path: real, mode: st.mode & 0o777 };
  if (st.isCharacterDevice()) return { kind: "special", path: real, what: "character device" };
  if (st.isFIFO()) return { kind: "special", path: real, what: "FIFO" };
  if (st.isDirectory()) throw refuse(target, "it is a directory");
  if (st.isBlockDevice()) throw refuse(target, "it is a block device (refusing to write to a disk)");
  throw refuse(target, "it is a socket or another special file");
}

/** Find out what writing `target` means (see the module comment). Throws IO_WRITE if refused. */
export async function resolveOutputTarget(target: string): Promise<OutputTarget> {
  let link: Stats;
  try {
    link = await lstat(target);
  } catch (err) {
    if (errnoOf(err) === "ENOENT") return { kind: "file", path: target, mode: undefined };
    throw refuse(target, (err as Error).message, errnoOf(err));
  }
  if (!link.isSymbolicLink()) return classify(target, target, link);
  let real: string;
  try {
    real = await realpath(target);
  } catch (err) {
    if (errnoOf(err) === "ENOENT") {
      throw refuse(target, "it is a symbolic link to a file that does not exist", "ENOENT");
    }
    throw refuse(target, `cannot follow the symbolic link (${errnoOf(err) ?? "error"})`, errnoOf(err));
  }
  return classify(target, real, await stat(real));
}

/** An absolute path with every existing directory resolved (the file itself may not exist yet). */
async function canonical(path: string, cwd: string): Promise<string> {
  const abs = resolve(cwd, path);
  try {
    return await realpath(abs);
  } catch {
    try {
      return join(await realpath(dirname(abs)), basename(abs));
    } catch {
      return abs;
    }
  }
}

/**
 * True when `a` and `b` name the same file: same canonical path, or (both existing) same device and
 * inode (hard links, bind mounts). `-` (stdout/stdin) and URLs are never files.
 */
export async function sameOutputFile(a: string, b: string, cwd: string = process.cwd()): Promise<boolean> {
  const notFile = (p: string) => p === "-" || /^[a-z][a-z0-9+.-]*:\/\//i.test(p);
  if (notFile(a) || notFile(b)) return false;
  const [ca, cb] = await Promise.all([canonical(a, cwd), canonical(b, cwd)]);
  const [sa, sb] = await Promise.all([stat(ca).catch(() => undefined), stat(cb).catch(() => undefined)]);
  // Two names for one device node (e.g. /dev/null twice) are harmless: nothing is replaced.
  if ((sa && !sa.isFile()) || (sb && !sb.isFile())) return false;
  if (ca === cb) return true;
  return sa !== undefined && sb !== undefined && sa.dev === sb.dev && sa.ino === sb.ino;
}

/**
 * Refuse (USAGE, exit 2) when two of the named paths are one file. `paths` pairs each flag with its
 * value, e.g. `[["source", "in.csv"], ["--output", "out.csv"], ["--rejects", "r.ndjson"]]`.
 */
export async function assertDistinctFiles(
  paths: readonly (readonly [string, string | undefined])[],
  cwd?: string,
): Promise<void> {
  const given = paths.filter((p): p is readonly [string, string] => p[1] !== undefined);
  for (let i = 0; i < given.length; i++) {
    for (let j = i + 1; j < given.length; j++) {
      const [fa, a] = given[i]!;
      const [fb, b] = given[j]!;
      if (await sameOutputFile(a, b, cwd)) {
        throw new FeedpipeError(
          "USAGE",
          `${fa} and ${fb} name the same file (${b}): refusing to overwrite one with the other`,
          { context: { path: b } },
        );
      }
    }
  }
}
