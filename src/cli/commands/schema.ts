/**
 * `feedpipe schema`: the network product's fields and the rules a product is checked against
 * (`--json`: the product JSON Schema, draft 2020-12, generated from the zod schema).
 */
import type { Command } from "commander";
import { productJsonSchema } from "../../../schemas/json-schema.js";
import { PRODUCT_FIELDS, REQUIRED_PRODUCT_FIELDS } from "../../../schemas/product.js";
import { RULES } from "../../../schemas/rules.js";
import type { CliContext } from "../context.js";

interface JsonSchemaProperty {
  type?: string;
  description?: string;
}

/** The schema as a readable list: field, type, required, description; then the rules. */
export function schemaText(): string {
  const schema = productJsonSchema() as { properties?: Record<string, JsonSchemaProperty> };
  const props = schema.properties ?? {};
  const required = new Set<string>(REQUIRED_PRODUCT_FIELDS);
  const w = Math.max(...PRODUCT_FIELDS.map((f) => f.length));
  const lines = ["Product fields (feedpipe schema --json prints the JSON Schema):", ""];
  for (const f of PRODUCT_FIELDS) {
    const p = props[f] ?? {};
    const type = p.type ?? "string";
    lines.push(
      `  ${f.padEnd(w)}  ${type.padEnd(6)}  ${required.has(f) ? "required" : "optional"}  ${p.description ?? ""}`,
    );
  }
  lines.push("", "Rules (errors reject a product; warnings are reported):", "");
  const cw = Math.max(...Object.keys(RULES).map((c) => c.length));
  for (const [code, r] of Object.entries(RULES)) {
    lines.push(`  ${code.padEnd(cw)}  ${r.severity.padEnd(7)}  ${r.description}`);
  }
  return `${lines.join("\n")}\n`;
}

export function registerSchema(program: Command, ctx: CliContext): void {
  program
    .command("schema")
    .description("show the network product's fields and rules (--json: JSON Schema)")
    .option("--json", "print the product JSON Schema (draft 2020-12)")
    .addHelpText(
      "after",
      `
Examples:
  $ feedpipe schema                       fields, types and the rule codes
  $ feedpipe schema --json > product.schema.json`,
    )
    .action((flags: { json?: boolean }) => {
      ctx.out(flags.json ? `${JSON.stringify(productJsonSchema(), null, 2)}\n` : schemaText());
    });
}
