/**
 * fast-check generators of JSON object texts at and past the edges of the flat-object scanner
 * (src/formats/flat-scan.ts): keys, strings with random escapes, numbers in and out of the JSON
 * grammar, literals, nested values, stray whitespace. Shared by the NDJSON and JSON array tests of
 * the reader thread's packed readers (test/ndjson-scan.test.ts, test/json-packed.test.ts).
 */
import * as assert from "node:assert/strict";
import fc from "fast-check";
import { expect, vi } from "vitest";
import type { RecordBatch } from "../../src/core/record.js";

export const space = fc.oneof(
  { weight: 20, arbitrary: fc.constantFrom("", "", "", " ", "  ") },
  { weight: 1, arbitrary: fc.constantFrom("\t", "\r", "\u00a0") },
);
export const keyText = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("sku", "title", "price", "g:id", "a", "b", "") },
  fc.constantFrom("__proto__", "constructor", "toString", "0", "10", "1a", "-1", "4294967295", 'x"y', "x\\y"),
  fc.string({ unit: "grapheme", maxLength: 6 }),
  fc.string({ unit: "binary", maxLength: 4 }),
);

/** A JS string written as a JSON string literal, with escapes chosen at random. */
export const encodeString = (s: string, style: number): string => {
  if (style === 0) return JSON.stringify(s);
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (style === 1 && (i + c) % 3 === 0) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else if (style === 2 && ch === "/") out += "\\/";
    else if (style === 3 && c >= 0x20 && ch !== '"' && ch !== "\\")
      out += ch; // raw, even lone surrogates
    else if (c < 0x20 && style === 4)
      out += ch; // a raw control character: invalid JSON
    else out += JSON.stringify(ch).slice(1, -1);
  }
  return out + '"';
};
export const stringLit = fc
  .tuple(
    fc.oneof(
      { weight: 4, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
      fc.string({ unit: "binary", maxLength: 12 }),
      fc.constantFrom(
        "",
        "SKU-1",
        '"premium"',
        "a\\b",
        "naïve €5 — 価格 😀",
        "x/y",
        "\n\t\b\f\r",
        "12345678901",
      ),
    ),
    fc.integer({ min: 0, max: 4 }),
  )
  .map(([s, style]) => encodeString(s, style));

/** Number texts, at and past the edges of -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? */
export const numberLit = fc.oneof(
  fc
    .double()
    .filter(Number.isFinite)
    .map((n) => JSON.stringify(n)),
  fc.integer().map(String),
  fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }).map(String),
  fc.constantFrom(
    "0",
    "-0",
    "0.0",
    "-0.0",
    "1e5",
    "1E5",
    "1e+5",
    "1E-5",
    "0e0",
    "-0e-0",
    "1.5e300",
    "1e400",
    "-1e400",
    "1e-400",
    "123456789012345",
    "-123456789012345",
    "1234567890123456",
    "9007199254740993",
    "0.1",
    "0.30000000000000004",
    "2.2250738585072014e-308",
    "5e-324",
    // not JSON numbers
    "01",
    "-01",
    "00",
    "1.",
    ".5",
    "-",
    "+1",
    "1e",
    "1e+",
    "1.e5",
    "-.5",
    "0x10",
    "1_000",
    "Infinity",
    "NaN",
    "--1",
  ),
);
export const literal = fc.constantFrom("true", "false", "null", "tru", "nul", "True", "falsey", "nullx");
export const nested = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
  fc.constantFrom("{}", "[]", '{"a":1}', '["x",2]', "[1,]", "{,}"),
);
export const valueLit = fc.oneof(
  { weight: 6, arbitrary: stringLit },
  { weight: 3, arbitrary: numberLit },
  { weight: 1, arbitrary: literal },
  { weight: 1, arbitrary: nested },
);
export const member = fc
  .tuple(keyText, fc.integer({ min: 0, max: 4 }), space, space, valueLit)
  .map(([k, style, s1, s2, v]) => `${encodeString(k, style === 4 ? 0 : style)}${s1}:${s2}${v}`);

/**
 * A flat object (mostly; some members are nested values or not JSON) with stray spaces, sometimes a
 * repeated key, then `tail` and a space.
 */
export const objectText = (tail: fc.Arbitrary<string>) =>
  fc
    .tuple(
      fc.array(member, { maxLength: 7 }),
      fc.array(space, { minLength: 4, maxLength: 4 }),
      tail,
      fc.integer({ min: 0, max: 5 }),
    )
    .map(([members, [a, b, c, d], t, dup]) => {
      const list = dup === 0 && members.length > 1 ? [...members, members[0]!] : members;
      return `${a}{${b}${list.join(`${c},${d}`)}${c}}${t}${d}`;
    });

/** Objects shaped like the catalogs: the same keys in the same order, so the key cache is used. */
export const catalogObject = fc
  .tuple(stringLit, numberLit, stringLit, literal, fc.boolean())
  .map(([sku, price, title, on, swap]) =>
    swap
      ? `{"title":${title},"sku":${sku},"price":${price}}`
      : `{"sku":${sku},"price":${price},"title":${title},"on":${on}}`,
  );

/** The offsets of every '{' in `text`. */
export const braces = (text: string): number[] => [...text.matchAll(/\{/g)].map((m) => m.index);

/**
 * Chunkings of `text` as cut points (for ./text.ts `pieces`): none, random, every n characters,
 * and a chunk starting at every '{' (what a reader knew of the chunk before must not carry over).
 */
export const cutsOf = (text: string) =>
  fc.oneof(
    fc.constant([] as number[]),
    fc.array(fc.integer({ min: 0, max: Math.max(text.length, 1) }), { maxLength: 8 }),
    fc
      .integer({ min: 1, max: 7 })
      .map((n) => Array.from({ length: Math.ceil(text.length / n) }, (_, i) => i * n)),
    fc.constant(braces(text)),
  );

/** Size caps to read with: the default, and small ones that make records too large. */
export const caps = fc.constantFrom(1 << 20, 1 << 20, 40, 8);

/**
 * Count the calls of `proto[name]` (a scanner method, spied with vitest) whose result `took` says
 * the fast path took the input: a property must exercise both paths.
 */
export function countFastPath<T extends object, K extends keyof T & string>(
  proto: T,
  name: K,
  took: (result: unknown) => boolean,
): { taken: number; left: number } {
  const counts = { taken: 0, left: 0 };
  const original = proto[name] as (...args: unknown[]) => unknown;
  vi.spyOn(proto, name as never).mockImplementation(function (this: unknown, ...args: unknown[]) {
    const result = original.apply(this, args);
    if (took(result)) counts.taken++;
    else counts.left++;
    return result;
  } as never);
  return counts;
}

/**
 * `got` and `want` (packed-and-unpacked and in-process outcomes with `batches`) are the same: node:assert's
 * strict deep equality (prototypes, -0, NaN, own keys, "__proto__" too), and per record the same key order
 * and value types.
 */
export function expectSameBatches<O extends { batches: RecordBatch[] }>(
  got: O,
  want: O,
  message?: string,
): void {
  assert.deepStrictEqual(got, want, message);
  for (let i = 0; i < want.batches.length; i++) {
    for (let j = 0; j < want.batches[i]!.length; j++) {
      const a = want.batches[i]![j]!.fields;
      const b = got.batches[i]![j]!.fields;
      expect(Object.keys(b)).toEqual(Object.keys(a));
      for (const k of Object.keys(a)) expect(typeof b[k]).toBe(typeof a[k]);
    }
  }
}
