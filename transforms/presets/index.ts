/**
 * The preset registry and `--preset auto`: pick the preset whose signature best matches the
 * header (or the first record's element names).
 */
import { FeedpipeError } from "../../src/core/errors.js";
import type { Preset } from "../preset.js";
import { awin } from "./awin.js";
import { bigcommerce } from "./bigcommerce.js";
import { ceneo } from "./ceneo.js";
import { googleMerchant } from "./google-merchant.js";
import { heureka } from "./heureka.js";
import { magento } from "./magento.js";
import { meta } from "./meta.js";
import { partnerboost } from "./partnerboost.js";
import { prestashop } from "./prestashop.js";
import { shopify } from "./shopify.js";
import { shoppingfeed } from "./shoppingfeed.js";
import { woocommerce } from "./woocommerce.js";

/** All presets; on a tie in detection the earlier one wins (more specific layouts first). */
export const PRESETS: readonly Preset[] = [
  shopify,
  woocommerce,
  magento,
  prestashop,
  bigcommerce,
  heureka,
  ceneo,
  shoppingfeed,
  awin,
  meta,
  googleMerchant,
  partnerboost,
];

export const PRESET_NAMES = PRESETS.map((p) => p.name);

export function getPreset(name: string): Preset {
  const p = PRESETS.find((x) => x.name === name.trim().toLowerCase());
  if (!p) {
    throw new FeedpipeError(
      "PRESET_UNKNOWN",
      `Unknown preset "${name}": expected auto or one of ${PRESET_NAMES.join(", ")}`,
      {
        context: { field: "preset" },
      },
    );
  }
  return p;
}

export interface Detection {
  preset: Preset;
  score: number;
}

/** Score every preset against the column names; undefined when none fits. */
export function detectPreset(keys: Iterable<string>): Detection | undefined {
  const seen = new Set<string>();
  for (const k of keys) seen.add(k.trim().toLowerCase());
  let best: Detection | undefined;
  for (const preset of PRESETS) {
    const { required, columns } = preset.signature;
    if (!required.every((group) => group.some((c) => seen.has(c.toLowerCase())))) continue;
    let score = 0;
    for (const [c, w] of Object.entries(columns)) if (seen.has(c.toLowerCase())) score += w;
    if (!best || score > best.score) best = { preset, score };
  }
  return best;
}

const MAPPING_EXAMPLE = `{
  "fields": {
    "sku": "Item ID",
    "name": {"from": "Title", "transforms": ["trim", "strip_html"]},
    "url": {"from": "handle", "transforms": [{"prefix": "https://shop.example/products/"}]},
    "image": "Image URL",
    "price": {"from": "Price", "transforms": [{"number": {"locale": "de"}}]},
    "currency": {"const": "EUR"}
  }
}`;

/** The LAYOUT_UNKNOWN error: lists the columns seen and suggests a mapping file. */
export function layoutUnknown(source: string, keys: string[]): FeedpipeError {
  const shown = keys.slice(0, 40).map((k) => JSON.stringify(k));
  const more = keys.length > 40 ? `, … (${keys.length} in all)` : "";
  return new FeedpipeError(
    "LAYOUT_UNKNOWN",
    `${source}: no preset matches this layout (columns seen: ${shown.join(", ") || "none"}${more}).\n` +
      `Too few columns look like product fields to infer a mapping. Pick a layout with --preset (${PRESET_NAMES.join(", ")}) or describe the columns in a mapping file and pass --mapping FILE (feedpipe mapping init ${source} writes a scaffold), e.g.:\n${MAPPING_EXAMPLE}`,
    { context: { source } },
  );
}
