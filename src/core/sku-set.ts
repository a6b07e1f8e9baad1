/**
 * An exact set of strings in a compact form, for the duplicate-SKU check over millions of records.
 *
 * A `Set<string>` costs about 60-70 bytes per SKU here (a string object per SKU plus the hash table
 * entry), which is ~150 MB for a 2.5 million product feed. This set keeps each string's characters
 * as bytes in 1 MiB pages (a length byte, then one byte per character, in the order added) and an
 * open-addressing table of 4-byte slots: about 18-22 bytes per 12-character SKU. A slot holds the
 * string's ordinal (its place in the order added, plus one; 0 marks an empty slot) in its low bits
 * and the hash's high bits as a tag above them: a table of 2^m slots stores fewer than 2^m strings,
 * so m bits hold the ordinal and 32 - m bits are tag (10 at 2^22 slots). A string's bytes are found
 * from its ordinal through the page position of every 16th string and a walk over at most 15
 * length bytes, which is only needed when a tag matches. Membership is exact (a tag match is
 * confirmed by comparing the stored characters), never probabilistic.
 *
 * The table is probed quadratically and filled up to 90% before it doubles (linear probing had to
 * double at 75%). It doubles in place, in a resizable buffer, and is rebuilt from the pages: an old
 * table is never kept beside the new one (a replaced ArrayBuffer stays allocated until a full GC,
 * which in a long run can be far away: 2.56M SKUs held 62 MiB of array buffers that way, with
 * 5-byte slots). Strings that do not fit the byte form (a character above U+00FF, or 255
 * characters or more) go to an ordinary Set beside it.
 */

const PAGE_BITS = 20;
const PAGE_SIZE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SIZE - 1;
const MAX_LENGTH = 254;
const INITIAL_CAPACITY = 1 << 12;
/** Page references are 32-bit: 4096 pages of 1 MiB (4 GiB of SKU text; beyond, the plain Set). */
const MAX_PAGES = 4096;
/** The page position of every 16th string is kept (in blocks of 4096 positions). */
const STRIDE_BITS = 4;
const BLOCK_BITS = 12;
const BLOCK_MASK = (1 << BLOCK_BITS) - 1;
/** Largest table: 2^30 slots (one tag bit; far past MAX_PAGES of SKU text). */
const MAX_CAPACITY = 2 ** 30;
/**
 * Address space reserved for the table, so that growths happen in place: reserving costs no
 * memory. 2^26 slots (60M strings) before a larger buffer is taken.
 */
const RESERVED_SLOTS = 1 << 26;

type ResizableBuffer = ArrayBuffer & {
  resizable?: boolean;
  maxByteLength?: number;
  resize?(n: number): void;
};

function tableBuffer(capacity: number): ArrayBuffer {
  const bytes = capacity * 4;
  const Resizable = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer;
  try {
    return new Resizable(bytes, { maxByteLength: Math.max(bytes, RESERVED_SLOTS * 4) });
  } catch {
    // No address space to reserve: a plain buffer, replaced at the next growth.
    return new ArrayBuffer(bytes);
  }
}

/**
 * The hash of `s` when it fits the byte form (shorter than 255 characters, none above U+00FF),
 * else -1: one pass over the characters for both questions.
 */
function byteHashOf(s: string): number {
  const n = s.length;
  if (n > MAX_LENGTH) return -1;
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) return -1;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return mix(h);
}

function hashBytes(page: Uint8Array, at: number, len: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < len; i++) h = Math.imul(h ^ (page[at + i] as number), 0x01000193);
  return mix(h);
}

function mix(x: number): number {
  let h = x ^ (x >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

export class CompactStringSet {
  private pages: Uint8Array[] = [];
  /** Bytes used in each page but the last (whose count is pageUsed). */
  private pageEnds: number[] = [];
  private page: Uint8Array = new Uint8Array(0);
  private pageUsed = PAGE_SIZE;
  /** Page position (page << PAGE_BITS | offset) of strings 0, 16, 32, ... */
  private marks: Uint32Array[] = [];
  private table = tableBuffer(INITIAL_CAPACITY);
  private slots = new Uint32Array(this.table, 0, INITIAL_CAPACITY);
  private mask = INITIAL_CAPACITY - 1;
  private stored = 0;
  private readonly other = new Set<string>();

  /** Number of distinct strings added. */
  get size(): number {
    return this.stored + this.other.size;
  }

  /** Slots in the table. */
  get capacity(): number {
    return this.mask + 1;
  }

  /**
   * Bytes the set holds in buffers (pages, table, page marks; not the side Set): what it is
   * designed to cost, for tests and measurements.
   */
  get bytes(): number {
    return this.pages.length * PAGE_SIZE + this.slots.byteLength + this.marks.length * (4 << BLOCK_BITS);
  }

  /** Whether `s` was added before. */
  has(s: string): boolean {
    const h = byteHashOf(s);
    if (h < 0) return this.other.has(s);
    return this.find(s, h) >= 0 || (this.other.size > 0 && this.other.has(s));
  }

  /** Add `s`; returns false when it was already in the set. */
  add(s: string): boolean {
    const h = byteHashOf(s);
    if (h < 0) {
      if (this.other.has(s)) return false;
      this.other.add(s);
      return true;
    }
    const slot = this.find(s, h);
    if (slot >= 0) return false;
    const full = this.pages.length >= MAX_PAGES && this.pageUsed + s.length + 1 > PAGE_SIZE;
    if (full || (this.stored + 1) * 10 > MAX_CAPACITY * 9) {
      if (this.other.has(s)) return false;
      this.other.add(s);
      return true;
    }
    this.slots[-slot - 1] = ((h & ~this.mask) | (this.stored + 1)) >>> 0;
    this.store(s);
    this.stored++;
    if (this.stored * 10 > (this.mask + 1) * 9 && this.mask + 1 < MAX_CAPACITY) this.grow();
    return true;
  }

  /** The slot holding `s`, or `-(free slot) - 1`. */
  private find(s: string, h: number): number {
    const mask = this.mask;
    const tagBits = ~mask;
    const slots = this.slots;
    let i = h & mask;
    // Quadratic (triangular) probing: visits every slot of a power-of-two table.
    for (let step = 1; ; step++) {
      const v = slots[i] as number;
      if (v === 0) return -i - 1;
      if (((v ^ h) & tagBits) === 0 && this.equals((v & mask) - 1, s)) return i;
      i = (i + step) & mask;
    }
  }

  /** Whether the string added `ordinal`-th (from 0) is `s`. */
  private equals(ordinal: number, s: string): boolean {
    const mark = ordinal >>> STRIDE_BITS;
    const ref = (this.marks[mark >>> BLOCK_BITS] as Uint32Array)[mark & BLOCK_MASK] as number;
    let p = ref >>> PAGE_BITS;
    let at = ref & PAGE_MASK;
    let page = this.pages[p] as Uint8Array;
    for (let skip = ordinal & ((1 << STRIDE_BITS) - 1); skip > 0; skip--) {
      at += (page[at] as number) + 1;
      if (at >= this.pageEnd(p)) {
        page = this.pages[++p] as Uint8Array;
        at = 0;
      }
    }
    const len = s.length;
    if (page[at] !== len) return false;
    for (let i = 0; i < len; i++) if (page[at + 1 + i] !== s.charCodeAt(i)) return false;
    return true;
  }

  private pageEnd(p: number): number {
    return p < this.pageEnds.length ? (this.pageEnds[p] as number) : this.pageUsed;
  }

  private store(s: string): void {
    const need = s.length + 1;
    if (this.pageUsed + need > PAGE_SIZE) {
      if (this.pages.length > 0) this.pageEnds.push(this.pageUsed);
      this.page = new Uint8Array(PAGE_SIZE);
      this.pages.push(this.page);
      this.pageUsed = 0;
    }
    const at = this.pageUsed;
    const ordinal = this.stored;
    if ((ordinal & ((1 << STRIDE_BITS) - 1)) === 0) {
      const mark = ordinal >>> STRIDE_BITS;
      if ((mark & BLOCK_MASK) === 0) this.marks.push(new Uint32Array(1 << BLOCK_BITS));
      (this.marks[mark >>> BLOCK_BITS] as Uint32Array)[mark & BLOCK_MASK] =
        ((this.pages.length - 1) * PAGE_SIZE + at) >>> 0;
    }
    const page = this.page;
    page[at] = s.length;
    for (let i = 0; i < s.length; i++) page[at + 1 + i] = s.charCodeAt(i);
    this.pageUsed += need;
  }

  /**
   * Double the table in place and put every stored string back, read from the pages in the order
   * they were added (which is their ordinal): the old table is not needed.
   */
  private grow(): void {
    const capacity = (this.mask + 1) * 2;
    const bytes = capacity * 4;
    const table = this.table as ResizableBuffer;
    if (table.resizable === true && bytes <= (table.maxByteLength as number)) table.resize!(bytes);
    else this.table = tableBuffer(capacity);
    const slots = new Uint32Array(this.table, 0, capacity);
    slots.fill(0);
    const mask = capacity - 1;
    const pages = this.pages;
    let ordinal = 0;
    for (let p = 0; p < pages.length; p++) {
      const page = pages[p] as Uint8Array;
      const end = this.pageEnd(p);
      for (let at = 0; at < end;) {
        const len = page[at] as number;
        const h = hashBytes(page, at + 1, len);
        let i = h & mask;
        for (let step = 1; slots[i] !== 0; step++) i = (i + step) & mask;
        slots[i] = ((h & ~mask) | ++ordinal) >>> 0;
        at += len + 1;
      }
    }
    this.slots = slots;
    this.mask = mask;
  }
}
