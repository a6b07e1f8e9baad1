/**
 * An exact set of strings in a compact form, for the duplicate-SKU check over millions of records.
 *
 * A `Set<string>` costs about 60-70 bytes per SKU here (a string object per SKU plus the hash table
 * entry), which is ~150 MB for a 2.5 million product feed. This set keeps each string's characters
 * as bytes in 1 MiB pages (a length byte, then one byte per character) and an open-addressing
 * table of page offsets with a one-byte hash tag per slot: about 20-25 bytes per SKU. The table is
 * probed quadratically and filled up to 90% before it doubles (linear probing had to double at 75%:
 * a 1.87M-SKU feed took a 4M-slot table, 20 MB, where 2M slots, 10 MB, now do). Membership is
 * exact (a tag match is confirmed by comparing the stored characters), never probabilistic.
 * Strings that do not fit the byte form (a character above U+00FF, or 255 characters or more) go
 * to an ordinary Set beside it.
 */

const PAGE_BITS = 20;
const PAGE_SIZE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SIZE - 1;
const MAX_LENGTH = 254;
const INITIAL_CAPACITY = 1 << 12;
/** Page references are 32-bit: 4096 pages of 1 MiB (4 GiB of SKU text; beyond, the plain Set). */
const MAX_PAGES = 4096;

/** A tag byte and a 4-byte page reference per slot, in one buffer: the tags, then the references. */
const SLOT_BYTES = 5;
/**
 * The table's buffer is resizable, so a growth takes the memory in place (an ArrayBuffer that is
 * replaced stays allocated until a full GC, which in a long run can be far away: the 10 MiB table
 * left behind at 1.9M SKUs was still there at 2.5M). Reserving address space costs no memory; 2^26
 * slots (60M SKUs) before a larger buffer is taken.
 */
const RESERVED_SLOTS = 1 << 26;

type ResizableBuffer = ArrayBuffer & { resizable?: boolean; maxByteLength?: number; resize?(n: number): void };

function tableBuffer(capacity: number): ArrayBuffer {
  const bytes = capacity * SLOT_BYTES;
  const Ctor = ArrayBuffer as unknown as new (n: number, o?: { maxByteLength: number }) => ArrayBuffer;
  try {
    return new Ctor(bytes, { maxByteLength: Math.max(bytes, RESERVED_SLOTS * SLOT_BYTES) });
  } catch {
    // No address space to reserve (or no resizable buffers): a plain buffer, replaced at growth.
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

/** 1..255 (0 marks an empty slot). */
function tagOf(h: number): number {
  return ((h >>> 24) % 255) + 1;
}

export class CompactStringSet {
  private pages: Uint8Array[] = [];
  /** Bytes used in each page but the last (whose count is pageUsed). */
  private pageEnds: number[] = [];
  private page: Uint8Array = new Uint8Array(0);
  private pageUsed = PAGE_SIZE;
  private table = tableBuffer(INITIAL_CAPACITY);
  private tags = new Uint8Array(this.table, 0, INITIAL_CAPACITY);
  private slots = new Uint32Array(this.table, INITIAL_CAPACITY, INITIAL_CAPACITY);
  private mask = INITIAL_CAPACITY - 1;
  private stored = 0;
  private readonly other = new Set<string>();

  /** Number of distinct strings added. */
  get size(): number {
    return this.stored + this.other.size;
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
    if (this.pages.length >= MAX_PAGES && this.pageUsed + s.length + 1 > PAGE_SIZE) {
      if (this.other.has(s)) return false;
      this.other.add(s);
      return true;
    }
    const free = -slot - 1;
    this.tags[free] = tagOf(h);
    this.slots[free] = this.store(s);
    this.stored++;
    if (this.stored * 10 > (this.mask + 1) * 9) this.grow();
    return true;
  }

  /** The slot holding `s`, or `-(free slot) - 1`. */
  private find(s: string, h: number): number {
    const tag = tagOf(h);
    const mask = this.mask;
    const tags = this.tags;
    let i = h & mask;
    // Quadratic (triangular) probing: visits every slot of a power-of-two table.
    for (let step = 1; ; step++) {
      const t = tags[i] as number;
      if (t === 0) return -i - 1;
      if (t === tag && this.equals(this.slots[i] as number, s)) return i;
      i = (i + step) & mask;
    }
  }

  private equals(ref: number, s: string): boolean {
    const page = this.pages[ref >>> PAGE_BITS] as Uint8Array;
    const at = ref & PAGE_MASK;
    const len = s.length;
    if (page[at] !== len) return false;
    for (let i = 0; i < len; i++) if (page[at + 1 + i] !== s.charCodeAt(i)) return false;
    return true;
  }

  private store(s: string): number {
    const need = s.length + 1;
    if (this.pageUsed + need > PAGE_SIZE) {
      if (this.pages.length > 0) this.pageEnds.push(this.pageUsed);
      this.page = new Uint8Array(PAGE_SIZE);
      this.pages.push(this.page);
      this.pageUsed = 0;
    }
    const at = this.pageUsed;
    const page = this.page;
    page[at] = s.length;
    for (let i = 0; i < s.length; i++) page[at + 1 + i] = s.charCodeAt(i);
    this.pageUsed += need;
    return (this.pages.length - 1) * PAGE_SIZE + at;
  }

  /**
   * Double the table in place and put every stored string back, read from the pages in the order
   * they were added: the old table is not needed, so it is never kept beside the new one.
   */
  private grow(): void {
    const capacity = (this.mask + 1) * 2;
    const bytes = capacity * SLOT_BYTES;
    const table = this.table as ResizableBuffer;
    if (table.resizable === true && bytes <= (table.maxByteLength as number)) table.resize!(bytes);
    else this.table = tableBuffer(capacity);
    const tags = new Uint8Array(this.table, 0, capacity);
    tags.fill(0);
    const slots = new Uint32Array(this.table, capacity, capacity);
    const mask = capacity - 1;
    const pages = this.pages;
    for (let p = 0; p < pages.length; p++) {
      const page = pages[p] as Uint8Array;
      const end = p < this.pageEnds.length ? (this.pageEnds[p] as number) : this.pageUsed;
      for (let at = 0; at < end; ) {
        const len = page[at] as number;
        const h = hashBytes(page, at + 1, len);
        let i = h & mask;
        for (let step = 1; tags[i] !== 0; step++) i = (i + step) & mask;
        tags[i] = tagOf(h);
        slots[i] = p * PAGE_SIZE + at;
        at += len + 1;
      }
    }
    this.tags = tags;
    this.slots = slots;
    this.mask = mask;
  }
}
