/**
 * Renders sandbox products in the layouts the Partnerize sandbox hosts: an Awin-style CSV, a
 * Google Merchant TSV and a Google RSS 2.0 XML feed.
 */
import type { SandboxFeedLayout, SandboxProduct } from "./partnerize-catalog.js";

function csvCell(v: string, delimiter: string): string {
  if (delimiter === "\t") return v.replace(/[\t\r\n]/g, " ");
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

function renderDelimited(header: string[], rows: string[][], delimiter: string): string {
  const lines = [header, ...rows].map((r) => r.map((v) => csvCell(v, delimiter)).join(delimiter));
  return `${lines.join("\n")}\n`;
}

function xmlEscape(v: string): string {
  return v.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Render products in one of the sandbox layouts. */
export function renderSandboxFeed(
  layout: SandboxFeedLayout,
  products: SandboxProduct[],
  title = "Sandbox feed",
): string {
  const price = (p: SandboxProduct) => p.price.toFixed(2);
  switch (layout) {
    case "awin-csv":
      return renderDelimited(
        [
          "product_id",
          "product_name",
          "description",
          "price",
          "currency",
          "deep_link",
          "image_url",
          "brand_name",
          "ean",
          "in_stock",
        ],
        products.map((p) => [
          p.sku,
          p.name,
          p.description,
          price(p),
          p.currency,
          p.url,
          p.image,
          p.brand,
          p.gtin,
          p.availability === "in_stock" ? "1" : "0",
        ]),
        ",",
      );
    case "google-tsv":
      return renderDelimited(
        [
          "id",
          "title",
          "description",
          "link",
          "image_link",
          "availability",
          "condition",
          "price",
          "brand",
          "gtin",
        ],
        products.map((p) => [
          p.sku,
          p.name,
          p.description,
          p.url,
          p.image,
          p.availability === "in_stock" ? "in stock" : "out of stock",
          "new",
          `${price(p)} ${p.currency}`,
          p.brand,
          p.gtin,
        ]),
        "\t",
      );
    case "google-rss": {
      const items = products.map(
        (p) =>
          "    <item>\n" +
          `      <g:id>${xmlEscape(p.sku)}</g:id>\n` +
          `      <title>${xmlEscape(p.name)}</title>\n` +
          `      <description>${xmlEscape(p.description)}</description>\n` +
          `      <link>${xmlEscape(p.url)}</link>\n` +
          `      <g:image_link>${xmlEscape(p.image)}</g:image_link>\n` +
          `      <g:price>${price(p)} ${p.currency}</g:price>\n` +
          `      <g:availability>${p.availability}</g:availability>\n` +
          "      <g:condition>new</g:condition>\n" +
          `      <g:brand>${xmlEscape(p.brand)}</g:brand>\n` +
          `      <g:gtin>${p.gtin}</g:gtin>\n` +
          "    </item>\n",
      );
      return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">\n' +
        "  <channel>\n" +
        `    <title>${xmlEscape(title)}</title>\n` +
        "    <link>https://example.com/</link>\n" +
        "    <description>Sandbox product feed</description>\n" +
        items.join("") +
        "  </channel>\n" +
        "</rss>\n"
      );
    }
  }
}
