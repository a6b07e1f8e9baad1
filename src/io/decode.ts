/**
 * Charset decoding: UTF-8 with or without BOM, UTF-16 LE/BE by BOM, and ISO-8859-1 /
 * windows-1252 (or any WHATWG label) when declared by `--encoding` or the XML declaration.
 * Invalid bytes never throw: they decode to U+FFFD and `state.invalidBytes` is set (in every
 * encoding), so the reader stage can reject the affected records with their line.
 */
import { FeedpipeError } from "../core/errors.js";
import { peekBytes, replay } from "./source.js";

export interface DecodeState {
  /** True once any chunk contained bytes invalid in the encoding. */
  invalidBytes: boolean;
}

export interface DecodedText {
  /** The encoding used (WHATWG name, e.g. `utf-8`, `windows-1252`). */
  encoding: string;
  bom: boolean;
  chunks: AsyncIterable<string>;
  state: DecodeState;
}

const REPLACEMENT = "\uFFFD";
const REPLACEMENT_BYTES = Buffer.from([0xef, 0xbf, 0xbd]);
const EMPTY: Buffer = Buffer.alloc(0);

function count(s: string): number {
  let n = 0;
  for (let i = s.indexOf(REPLACEMENT); i >= 0; i = s.indexOf(REPLACEMENT, i + 1)) n++;
  return n;
}

/**
 * U+FFFD written out in UTF-8 that end in `chunk` (`before`: the previous chunk's last two bytes).
 * A streaming decoder emits a character in the call that brings its last byte, so per chunk a
 * text with more U+FFFD than this holds replacements for invalid bytes.
 */
export function replacementsIn(before: Buffer, chunk: Buffer): number {
  const bytes = before.length > 0 ? Buffer.concat([before, chunk.subarray(0, 2)]) : EMPTY;
  let n = 0;
  for (let i = bytes.indexOf(REPLACEMENT_BYTES); i >= 0; i = bytes.indexOf(REPLACEMENT_BYTES, i + 1)) n++;
  for (let i = chunk.indexOf(REPLACEMENT_BYTES); i >= 0; i = chunk.indexOf(REPLACEMENT_BYTES, i + 3)) n++;
  return n;
}

/**
 * U+FFFD written out in UTF-16 (FD FF little-endian, FF FD big-endian) completed in `chunk`:
 * `odd` says the chunk starts in the middle of a code unit, whose first byte was `before`.
 */
export function utf16ReplacementsIn(before: number, odd: boolean, chunk: Buffer, le: boolean): number {
  const first = le ? 0xfd : 0xff;
  const second = le ? 0xff : 0xfd;
  let n = 0;
  let i = 0;
  if (odd && chunk.length > 0) {
    if (before === first && chunk[0] === second) n++;
    i = 1;
  }
  for (; i + 1 < chunk.length; i += 2) if (chunk[i] === first && chunk[i + 1] === second) n++;
  return n;
}

/** Normalise a user or document encoding label; throws for labels the platform cannot decode. */
export function resolveEncoding(label: string, name: string): string {
  const l = label.trim().toLowerCase();
  const alias = l === "latin1" || l === "latin-1" ? "iso-8859-1" : l === "utf8" ? "utf-8" : l;
  try {
    return new TextDecoder(alias).encoding;
  } catch {
    throw new FeedpipeError("FEED_ENCODING_UNSUPPORTED", `${name}: unsupported text encoding "${label}"`, {
      context: { source: name },
    });
  }
}

function sniffBom(head: Buffer): { encoding: string; length: number } | undefined {
  if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf)
    return { encoding: "utf-8", length: 3 };
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return { encoding: "utf-16le", length: 2 };
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) return { encoding: "utf-16be", length: 2 };
  return undefined;
}

/** `<?xml version="1.0" encoding="ISO-8859-1"?>` → `ISO-8859-1`. */
export function xmlDeclaredEncoding(head: Buffer): string | undefined {
  const text = head.subarray(0, 256).toString("latin1");
  const m = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/.exec(text);
  return m?.[1];
}

/** UTF-16 without a BOM still shows itself by NUL bytes beside ASCII `<`, `{`, letters. */
function sniffUtf16NoBom(head: Buffer): string | undefined {
  if (head.length < 4) return undefined;
  if (head[0] === 0 && head[1] !== 0 && head[2] === 0 && head[3] !== 0) return "utf-16be";
  if (head[0] !== 0 && head[1] === 0 && head[2] !== 0 && head[3] === 0) return "utf-16le";
  return undefined;
}

export interface DecodeOptions {
  /** Forced encoding (a BOM still wins, since it cannot be wrong). */
  encoding?: string | undefined;
}

export async function decode(
  chunks: AsyncIterable<Buffer>,
  name: string,
  options: DecodeOptions = {},
): Promise<DecodedText> {
  // 256 bytes cover a BOM and an XML declaration; stop earlier once the declaration (if any) is seen.
  const { head, all } = await peekBytes(chunks, 256, (taken, length) => {
    if (length < 5) return false;
    const start = (taken.length === 1 ? taken[0]! : Buffer.concat(taken)).toString("latin1");
    return !/^(?:\xEF\xBB\xBF)?\s*<\?xml/.test(start) || start.includes("?>");
  });
  const bom = sniffBom(head);
  let encoding: string;
  if (bom) encoding = bom.encoding;
  else if (options.encoding) encoding = resolveEncoding(options.encoding, name);
  else {
    const declared = xmlDeclaredEncoding(head);
    encoding = declared ? resolveEncoding(declared, name) : (sniffUtf16NoBom(head) ?? "utf-8");
  }
  const state: DecodeState = { invalidBytes: false };
  const decoder = new TextDecoder(encoding, { fatal: false, ignoreBOM: false });
  // Every encoding but gb18030 (which can spell U+FFFD itself; Node's gbk decoder does not read its
  // four-byte sequences, so there they are invalid bytes) has no bytes for U+FFFD: in its
  // text, one is always bytes the decoder could not read (Shift_JIS, EUC-KR, Big5, the ISO-8859
  // parts with unassigned bytes). UTF-8's own EF BF BD and UTF-16's FD FF are told apart below.
  const checkInvalid = encoding !== "gb18030";
  const utf8 = encoding === "utf-8";
  const utf16 = encoding === "utf-16le" || encoding === "utf-16be";
  let last: Buffer = EMPTY;
  let bytes = 0; // consumed so far (UTF-16: where the code units begin)
  let lastByte = -1;
  async function* text(): AsyncIterable<string> {
    for await (const chunk of all) {
      const s = decoder.decode(chunk, { stream: true });
      if (checkInvalid && !state.invalidBytes && s.includes(REPLACEMENT)) {
        // U+FFFD is also a character a feed may hold as it is (EF BF BD in UTF-8, FD FF in
        // UTF-16LE): invalid only when the text has more of them than the bytes spell out.
        const spelled = utf8
          ? replacementsIn(last, chunk)
          : utf16
            ? utf16ReplacementsIn(lastByte, bytes % 2 === 1, chunk, encoding === "utf-16le")
            : 0;
        if (count(s) > spelled) state.invalidBytes = true;
      }
      if (utf8)
        last =
          chunk.length >= 2 ? chunk.subarray(chunk.length - 2) : Buffer.concat([last, chunk]).subarray(-2);
      if (chunk.length > 0) lastByte = chunk[chunk.length - 1]!;
      bytes += chunk.length;
      if (s.length > 0) yield s;
    }
    const tail = decoder.decode();
    if (checkInvalid && tail.includes(REPLACEMENT)) state.invalidBytes = true;
    if (tail.length > 0) yield tail;
  }
  return { encoding, bom: bom !== undefined, chunks: text(), state };
}

/**
 * Peek decoded text: up to `min` characters (or all), returning the head and everything again.
 * `enough(head)` may end the peek early (so a slow source's first records are not held back).
 */
export async function peekText(
  chunks: AsyncIterable<string>,
  min: number,
  enough?: (head: string) => boolean,
): Promise<{ head: string; all: AsyncIterable<string> }> {
  const it = chunks[Symbol.asyncIterator]();
  let head = "";
  let done = false;
  while (head.length < min && !(head.length > 0 && enough?.(head))) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    head += r.value;
  }
  return { head, all: replay(head.length > 0 ? head : undefined, it, done) };
}
