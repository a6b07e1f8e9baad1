/**
 * A small, fast parser for ONE record element (`<item>…</item>`) cut from a feed by the splitter.
 * It produces the same shape as fast-xml-parser with the options feedpipe uses (attributes as
 * `@name`, text beside attributes or children as `#text`, repeated tags as arrays, every value a
 * string, values trimmed, entities decoded) — checked by differential tests against fast-xml-parser —
 * at several times its speed (measured: fast-xml-parser ~26k Google items/s on this machine).
 *
 * It never expands DTD entities (no billion laughs): only the five XML entities and numeric
 * character references are decoded; other `&name;` references are kept as written.
 * Malformed markup (mismatched or unclosed tags, broken attributes) is reported, not guessed at.
 */
import type { FieldValue, Fields } from "../core/record.js";

export type XmlRecordResult = { ok: true; fields: Fields } | { ok: false; error: string };

const ENTITY = /&(?:(lt|gt|amp|quot|apos)|#(\d{1,7})|#x([0-9a-fA-F]{1,6}));/g;
const NAMED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  if (s.indexOf("&") < 0) return s;
  return s.replace(
    ENTITY,
    (m, name: string | undefined, dec: string | undefined, hex: string | undefined) => {
      if (name) return NAMED[name]!;
      const code = dec !== undefined ? Number(dec) : Number.parseInt(hex!, 16);
      if (code > 0x10ffff || code === 0 || (code >= 0xd800 && code <= 0xdfff)) return m;
      return String.fromCodePoint(code);
    },
  );
}

interface Frame {
  name: string;
  obj: Record<string, FieldValue> | undefined;
  text: string;
}

function addChild(frame: Frame, name: string, value: FieldValue): void {
  frame.obj ??= {};
  const obj = frame.obj;
  // Own properties only: an element named `toString` or `__proto__` is data like any other.
  const prev = Object.hasOwn(obj, name) ? obj[name] : undefined;
  if (prev === undefined) setOwn(obj, name, value);
  else if (Array.isArray(prev)) prev.push(value);
  else setOwn(obj, name, [prev, value]);
}

function setOwn(obj: Record<string, FieldValue>, name: string, value: FieldValue): void {
  if (name === "__proto__")
    Object.defineProperty(obj, name, { value, enumerable: true, writable: true, configurable: true });
  else obj[name] = value;
}

function closeValue(frame: Frame): FieldValue {
  const text = frame.text.trim();
  if (frame.obj === undefined) return text;
  if (text !== "") frame.obj["#text"] = text;
  return frame.obj;
}

function isNameEnd(c: number): boolean {
  // whitespace, '/', '>'
  return c === 32 || c === 10 || c === 13 || c === 9 || c === 47 || c === 62;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** Parse one record element; `fields` are its attributes and children. */
export function parseXmlRecord(s: string): XmlRecordResult {
  const stack: Frame[] = [];
  let root: FieldValue | undefined;
  let pos = 0;
  const len = s.length;
  while (pos < len) {
    const lt = s.indexOf("<", pos);
    const top = stack[stack.length - 1];
    if (lt < 0) {
      if (top) return { ok: false, error: `<${top.name}> is not closed` };
      if (s.slice(pos).trim() !== "") return { ok: false, error: "text after the record element" };
      break;
    }
    if (lt > pos) {
      if (top) top.text += decodeEntities(s.slice(pos, lt));
      else if (s.slice(pos, lt).trim() !== "") return { ok: false, error: "text outside the record element" };
    }
    const c1 = s.charCodeAt(lt + 1);
    if (c1 === 33 /* ! */) {
      if (s.startsWith("<!--", lt)) {
        const end = s.indexOf("-->", lt + 4);
        if (end < 0) return { ok: false, error: "unterminated comment" };
        pos = end + 3;
        continue;
      }
      if (s.startsWith("<![CDATA[", lt)) {
        const end = s.indexOf("]]>", lt + 9);
        if (end < 0) return { ok: false, error: "unterminated CDATA section" };
        if (!top) return { ok: false, error: "CDATA outside the record element" };
        top.text += s.slice(lt + 9, end);
        pos = end + 3;
        continue;
      }
      return { ok: false, error: "unexpected <! declaration inside a record" };
    }
    if (c1 === 63 /* ? */) {
      const end = s.indexOf("?>", lt + 2);
      if (end < 0) return { ok: false, error: "unterminated processing instruction" };
      pos = end + 2;
      continue;
    }
    if (c1 === 47 /* / */) {
      const end = s.indexOf(">", lt + 2);
      if (end < 0) return { ok: false, error: "unterminated closing tag" };
      const name = s.slice(lt + 2, end).trim();
      if (!top) return { ok: false, error: `closing tag </${name}> without an opening tag` };
      if (name !== top.name)
        return { ok: false, error: `closing tag </${name}> does not match <${top.name}>` };
      stack.pop();
      const value = closeValue(top);
      const parent = stack[stack.length - 1];
      if (parent) addChild(parent, name, value);
      else root = value;
      pos = end + 1;
      if (!parent) {
        if (s.slice(pos).trim() !== "") {
          const rest = s.slice(pos).trim();
          if (!/^(?:<!--[\s\S]*?-->\s*)*$/.test(rest))
            return { ok: false, error: "content after the record element" };
        }
        break;
      }
      continue;
    }
    // Opening tag.
    let i = lt + 1;
    while (i < len && !isNameEnd(s.charCodeAt(i))) i++;
    const name = s.slice(lt + 1, i);
    if (name === "" || !/^[A-Za-z_][\w.:-]*$/.test(name))
      return { ok: false, error: `invalid tag name "${name}"` };
    if (!top && root !== undefined) return { ok: false, error: "more than one record element" };
    let attrs: Record<string, FieldValue> | undefined;
    let selfClosing = false;
    for (;;) {
      while (i < len && isSpace(s.charCodeAt(i))) i++;
      if (i >= len) return { ok: false, error: `unterminated tag <${name}` };
      const c = s.charCodeAt(i);
      if (c === 62 /* > */) {
        i++;
        break;
      }
      if (c === 47 /* / */) {
        if (s.charCodeAt(i + 1) !== 62) return { ok: false, error: `malformed tag <${name}` };
        selfClosing = true;
        i += 2;
        break;
      }
      const eq = s.indexOf("=", i);
      if (eq < 0) return { ok: false, error: `attribute without a value in <${name}>` };
      const attr = s.slice(i, eq).trim();
      if (!/^[A-Za-z_][\w.:-]*$/.test(attr)) return { ok: false, error: `invalid attribute in <${name}>` };
      let q = eq + 1;
      while (q < len && isSpace(s.charCodeAt(q))) q++;
      const quote = s[q];
      if (quote !== '"' && quote !== "'")
        return { ok: false, error: `unquoted attribute ${attr} in <${name}>` };
      const close = s.indexOf(quote, q + 1);
      if (close < 0) return { ok: false, error: `unterminated attribute ${attr} in <${name}>` };
      attrs ??= {};
      const key = `@${attr}`;
      if (Object.hasOwn(attrs, key)) return { ok: false, error: `duplicate attribute ${attr} in <${name}>` };
      attrs[key] = decodeEntities(s.slice(q + 1, close)).trim();
      i = close + 1;
    }
    pos = i;
    const frame: Frame = { name, obj: attrs, text: "" };
    if (selfClosing) {
      const value = closeValue(frame);
      if (top) addChild(top, name, value);
      else {
        root = value;
        break;
      }
    } else stack.push(frame);
  }
  if (stack.length > 0) return { ok: false, error: `<${stack[stack.length - 1]!.name}> is not closed` };
  if (root === undefined) return { ok: false, error: "no element found" };
  if (typeof root === "string") return { ok: true, fields: root === "" ? {} : { "#text": root } };
  return { ok: true, fields: root as Fields };
}
