/**
 * Mapping files (JSON or YAML) for layouts no preset knows:
 *
 * ```json
 * { "fields": {
 *     "sku": "Variant SKU",
 *     "name": {"from": "Title", "transforms": ["trim", "strip_html"]},
 *     "brand": {"const": "Acme"},
 *     "mpn": {"template": "{Handle}-{Option1 Value}"},
 *     "price": {"from": "Price", "transforms": [{"number": {"locale": "de"}}]},
 *     "url": {"from": "handle", "transforms": [{"prefix": "https://shop.example/products/"}]},
 *     "image": {"from": "product.images[0].link"} },
 *   "options": {"decimalComma": true},
 *   "preset": "shopify" }
 * ```
 *
 * A field is a source path (`a`, `a.b`, `a[0].b`), a list of paths (first non-empty wins), or an
 * object with exactly one of `from` / `const` / `template` plus optional `transforms`. With
 * `preset`, the file's fields override that preset's (and its per-record hook still runs).
 *
 * The file is checked with zod before any input is read; every problem names the file, the field
 * and what is wrong (MAPPING_INVALID).
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { PRODUCT_FIELDS } from "../schemas/product.js";
import { FeedpipeError } from "../src/core/errors.js";
import type { FieldSpec, MappingSpec, ProductField } from "./mapping.js";
import { isProductField } from "./mapping.js";
import type { PresetOptions } from "./preset.js";
import { PRESET_NAMES } from "./presets/index.js";
import { checkTemplate } from "./template.js";
import { checkTransform } from "./transforms.js";
import { isValidPath } from "./value.js";

export interface LoadedMapping {
  /** The file as given. */
  file: string;
  spec: MappingSpec;
  /** Preset the file extends, if any. */
  preset?: string | undefined;
  /** Options from the file (`decimalComma`, `baseUrl`, `currency`, ...). */
  options: PresetOptions & { decimalComma?: boolean | undefined; priceWithCurrency?: boolean | undefined };
}

type Ctx = z.RefinementCtx;
type Path = (string | number)[];

function problem(ctx: Ctx, path: Path, message: string): void {
  ctx.addIssue({ code: "custom", message, path });
}

function checkPath(ctx: Ctx, path: Path, v: unknown): void {
  if (typeof v !== "string") {
    problem(
      ctx,
      path,
      `a source field must be a text (a column name or path like product.title), got ${JSON.stringify(v)}`,
    );
  } else if (!isValidPath(v)) {
    problem(ctx, path, `"${v}" is not a valid source path (write column, a.b or a[0].b)`);
  }
}

function checkFrom(ctx: Ctx, path: Path, from: unknown): void {
  if (Array.isArray(from)) {
    if (from.length === 0) problem(ctx, path, "an empty list of source fields");
    from.forEach((f, i) => {
      checkPath(ctx, [...path, i], f);
    });
  } else checkPath(ctx, path, from);
}

function checkField(ctx: Ctx, path: Path, spec: unknown): void {
  if (typeof spec === "string" || Array.isArray(spec)) {
    checkFrom(ctx, path, spec);
    return;
  }
  if (typeof spec !== "object" || spec === null) {
    problem(
      ctx,
      path,
      `expected a source field, a list of them, or {"from"|"const"|"template", "transforms"}, got ${JSON.stringify(spec)}`,
    );
    return;
  }
  const o = spec as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!["from", "const", "template", "transforms"].includes(k)) {
      problem(ctx, [...path, k], `unknown key "${k}" (known: from, const, template, transforms)`);
    }
  }
  const sources = ["from", "const", "template"].filter((k) => o[k] !== undefined);
  if (sources.length === 0) {
    problem(ctx, path, `missing "from" (or "const" / "template"): where does this field's value come from?`);
  } else if (sources.length > 1) {
    problem(ctx, path, `give only one of "from", "const", "template" (got ${sources.join(", ")})`);
  }
  if (o.from !== undefined) checkFrom(ctx, [...path, "from"], o.from);
  if (o.const !== undefined && typeof o.const !== "string" && typeof o.const !== "number") {
    problem(ctx, [...path, "const"], `a constant must be a text or a number, got ${JSON.stringify(o.const)}`);
  }
  if (o.template !== undefined) {
    if (typeof o.template !== "string")
      problem(ctx, [...path, "template"], 'a template must be a text such as "{Handle}-{Option1 Value}"');
    else {
      const t = checkTemplate(o.template);
      if (!t.ok) problem(ctx, [...path, "template"], t.problem);
    }
  }
  if (o.transforms !== undefined) {
    if (!Array.isArray(o.transforms)) {
      problem(
        ctx,
        [...path, "transforms"],
        `expected a list of transforms, e.g. ["trim", {"prefix": "https://"}]`,
      );
    } else {
      o.transforms.forEach((t, i) => {
        const c = checkTransform(t);
        if (!c.ok) problem(ctx, [...path, "transforms", i], c.problem);
      });
    }
  }
}

const optionsSchema = z
  .object({
    decimalComma: z.boolean({ error: "decimalComma must be true or false" }).optional(),
    priceWithCurrency: z.boolean({ error: "priceWithCurrency must be true or false" }).optional(),
    baseUrl: z.url({ protocol: /^https?$/, error: "baseUrl must be an absolute http(s) URL" }).optional(),
    mediaBaseUrl: z
      .url({ protocol: /^https?$/, error: "mediaBaseUrl must be an absolute http(s) URL" })
      .optional(),
    currency: z
      .string()
      .regex(/^[A-Za-z]{3}$/, { error: "currency must be a 3-letter ISO 4217 code such as EUR" })
      .optional(),
  })
  .strict();

export const mappingFileSchema = z
  .object({
    preset: z
      .string()
      .refine((p) => PRESET_NAMES.includes(p), { error: `preset must be one of ${PRESET_NAMES.join(", ")}` })
      .optional(),
    fields: z
      .record(z.string(), z.unknown(), { error: 'expected "fields": an object of product field → source' })
      .optional(),
    options: optionsSchema.optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.fields === undefined && m.preset === undefined) {
      problem(
        ctx,
        ["fields"],
        'missing "fields": an object of product field → source column (or "preset" to extend)',
      );
    }
    for (const [name, spec] of Object.entries(m.fields ?? {})) {
      if (!isProductField(name)) {
        problem(
          ctx,
          ["fields", name],
          `unknown target field "${name}" (product fields: ${PRODUCT_FIELDS.join(", ")})`,
        );
        continue;
      }
      checkField(ctx, ["fields", name], spec);
    }
  });

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || "(top level)";
}

function zodMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") {
    return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")} (known: preset, fields, options)`;
  }
  if (issue.code === "invalid_type" && issue.path.length === 1 && issue.path[0] === "fields") {
    return 'missing "fields": an object of product field → source column';
  }
  return issue.message;
}

/** Check a parsed mapping document; throws MAPPING_INVALID naming the file, field and problem. */
export function parseMapping(doc: unknown, file: string): LoadedMapping {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new FeedpipeError(
      "MAPPING_INVALID",
      `Mapping file ${file}: expected an object with "fields", got ${Array.isArray(doc) ? "a list" : JSON.stringify(doc)}`,
      {
        context: { source: file },
      },
    );
  }
  const r = mappingFileSchema.safeParse(doc);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${formatPath(i.path)}: ${zodMessage(i)}`);
    const first = r.error.issues[0];
    throw new FeedpipeError(
      "MAPPING_INVALID",
      `Mapping file ${file} is invalid:\n  - ${lines.join("\n  - ")}`,
      {
        context: { source: file, field: first ? formatPath(first.path) : undefined, problems: lines },
      },
    );
  }
  const fields: Partial<Record<ProductField, FieldSpec>> = {};
  for (const [name, spec] of Object.entries(r.data.fields ?? {})) {
    fields[name as ProductField] = spec as FieldSpec;
  }
  const o = r.data.options ?? {};
  return {
    file,
    spec: { fields, options: { decimalComma: o.decimalComma } },
    preset: r.data.preset,
    options: {
      decimalComma: o.decimalComma,
      priceWithCurrency: o.priceWithCurrency,
      baseUrl: o.baseUrl,
      mediaBaseUrl: o.mediaBaseUrl,
      currency: o.currency?.toUpperCase(),
    },
  };
}

/** Read and check a mapping file (JSON, or YAML for .yaml/.yml; other names: JSON, then YAML). */
export async function loadMappingFile(file: string): Promise<LoadedMapping> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "ENOENT") {
      throw new FeedpipeError("IO_NOT_FOUND", `Mapping file ${file} not found`, {
        cause: err,
        context: { source: file },
      });
    }
    throw new FeedpipeError("IO_READ", `Could not read mapping file ${file}: ${e.message}`, {
      cause: err,
      context: { source: file },
    });
  }
  const yaml = /\.ya?ml$/i.test(file);
  let doc: unknown;
  // yaml is loaded only when a mapping file needs it (keeps CLI start-up short).
  const parseYaml = async (t: string): Promise<unknown> => (await import("yaml")).parse(t);
  try {
    if (yaml) doc = await parseYaml(text.replace(/^\uFEFF/, ""));
    else {
      try {
        doc = JSON.parse(text.replace(/^\uFEFF/, ""));
      } catch (jsonErr) {
        if (/\.json$/i.test(file)) throw jsonErr;
        doc = await parseYaml(text.replace(/^\uFEFF/, ""));
      }
    }
  } catch (err) {
    throw new FeedpipeError(
      "MAPPING_INVALID",
      `Mapping file ${file} is not valid ${yaml ? "YAML" : "JSON"}: ${firstLine(err)}`,
      { cause: err, context: { source: file } },
    );
  }
  return parseMapping(doc, file);
}

/** The first line of a parser's message, without the colon that introduced its excerpt. */
function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split("\n")[0]!.replace(/:\s*$/, "").trim();
}
