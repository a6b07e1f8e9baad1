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
  private page: Uint8Array = new Uint8Array(0);
  private pageUsed = PAGE_SIZE;
  private tags = new Uint8Array(INITIAL_CAPACITY);
  private slots = new Uint32Array(INITIAL_CAPACITY);
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

  private grow(): void {
    const oldTags = this.tags;
    const oldSlots = this.slots;
    const capacity = (this.mask + 1) * 2;
    const tags = new Uint8Array(capacity);
    const slots = new Uint32Array(capacity);
    const mask = capacity - 1;
    for (let j = 0; j < oldTags.length; j++) {
      if (oldTags[j] === 0) continue;
      const ref = oldSlots[j] as number;
      const page = this.pages[ref >>> PAGE_BITS] as Uint8Array;
      const at = ref & PAGE_MASK;
      const h = hashBytes(page, at + 1, page[at] as number);
      let i = h & mask;
      for (let step = 1; tags[i] !== 0; step++) i = (i + step) & mask;
      tags[i] = oldTags[j] as number;
      slots[i] = ref;
    }
    this.tags = tags;
    this.slots = slots;
    this.mask = mask;
  }
}
