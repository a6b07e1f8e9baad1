/**
 * Templates such as `"{Handle}-{Option1 Value}"`: text with `{field path}` references.
 * `{{` and `}}` write literal braces. In a `template` transform `{value}` is the value so far.
 * A template whose referenced field is empty gives no value at all (so a URL template never yields
 * a half-built URL that would pass as valid); use `default` to supply one.
 */
import type { Fields } from "../src/core/record.js";
import { compilePath, isValidPath, toText, toValue, type Value } from "./value.js";

type Part = { text: string } | { ref: string };

export type TemplateCheck = { ok: true; parts: Part[]; refs: string[] } | { ok: false; problem: string };

export function checkTemplate(template: string): TemplateCheck {
  const parts: Part[] = [];
  const refs: string[] = [];
  let text = "";
  let i = 0;
  while (i < template.length) {
    const c = template[i]!;
    if (c === "{") {
      if (template[i + 1] === "{") {
        text += "{";
        i += 2;
        continue;
      }
      const end = template.indexOf("}", i + 1);
      if (end < 0)
        return { ok: false, problem: `unclosed "{" at position ${i + 1} in template "${template}"` };
      const ref = template.slice(i + 1, end);
      if (ref.includes("{"))
        return {
          ok: false,
          problem: `"{" inside a reference at position ${i + 1} in template "${template}"`,
        };
      if (ref.trim() === "")
        return { ok: false, problem: `empty reference "{}" at position ${i + 1} in template "${template}"` };
      if (!isValidPath(ref.trim()))
        return { ok: false, problem: `bad field reference "{${ref}}" in template "${template}"` };
      if (text) parts.push({ text });
      text = "";
      parts.push({ ref: ref.trim() });
      refs.push(ref.trim());
      i = end + 1;
      continue;
    }
    if (c === "}") {
      if (template[i + 1] === "}") {
        text += "}";
        i += 2;
        continue;
      }
      return {
        ok: false,
        problem: `unmatched "}" at position ${i + 1} in template "${template}" (write "}}" for a literal brace)`,
      };
    }
    text += c;
    i++;
  }
  if (text) parts.push({ text });
  if (refs.length === 0)
    return {
      ok: false,
      problem: `template "${template}" references no field (use "const" for a fixed value)`,
    };
  return { ok: true, parts, refs };
}

export type TemplateFn = (fields: Fields, value?: Value) => Value;

/** Compile a template; `allowValue` makes `{value}` mean the current value (template transform). */
export function compileTemplate(
  template: string,
  options: { allowValue?: boolean; resolve?: (name: string) => string } = {},
): TemplateFn {
  const c = checkTemplate(template);
  if (!c.ok) throw new Error(c.problem);
  const resolve = options.resolve ?? ((n: string) => n);
  const steps = c.parts.map((p) => {
    if ("text" in p) return p.text;
    if (options.allowValue && p.ref === "value") return null;
    return compilePath(resolve(p.ref));
  });
  return (fields, value) => {
    let out = "";
    for (const s of steps) {
      if (typeof s === "string") out += s;
      else {
        const v = s === null ? value : toValue(s(fields));
        const t = toText(v);
        if (t === undefined || t.trim() === "") return undefined;
        out += t;
      }
    }
    return out;
  };
}
