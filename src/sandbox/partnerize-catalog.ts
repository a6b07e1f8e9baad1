/**
 * The seeded catalog of the Partnerize sandbox: three campaigns whose feeds are an Awin-style CSV
 * (with a gzip copy), a Google Merchant TSV and a Google RSS 2.0 XML, each with one product whose
 * GTIN check digit is wrong; optionally a broken campaign (a truncated gzip feed, a missing file).
 * Pure data: the request handling lives in partnerize.ts and partnerize-feeds.ts.
 */
import { gzipSync } from "node:zlib";
import { seededRandom } from "../core/random.js";
import { renderSandboxFeed } from "./partnerize-render.js";

/** Where hosted feed files live on the sandbox. */
export const FILES = "/files/partnerize/";
/** Fixed clock for timestamps in the seeded catalog (2024-11-21T08:00:00Z). */
export const EPOCH = 1732176000;

export type SandboxFeedLayout = "awin-csv" | "google-tsv" | "google-rss";

/** One product in a seeded sandbox feed. `valid` is false for the deliberately broken one. */
export interface SandboxProduct {
  sku: string;
  name: string;
  description: string;
  url: string;
  image: string;
  price: number;
  currency: string;
  brand: string;
  gtin: string;
  availability: "in_stock" | "out_of_stock";
  valid: boolean;
}

/** A seeded campaign feed: what is hosted, and the products it holds. */
export interface SandboxCatalogFeed {
  campaignId: string;
  campaignTitle: string;
  feedId: string;
  name: string;
  layout: SandboxFeedLayout | "truncated-gzip" | "missing";
  filename: string;
  /** Path of the plain file (under /files/partnerize/). */
  path: string;
  /** Path of the gzip copy, when there is one. */
  compressedPath?: string | undefined;
  products: SandboxProduct[];
}

export interface HostedFile {
  body: Buffer;
  contentType: string;
}

/** What shapes the seeded catalog (a subset of the module's options). */
export interface CatalogOptions {
  seed?: number | undefined;
  productsPerFeed?: number | undefined;
  brokenFeeds?: boolean | undefined;
}

const ADJECTIVES = [
  "Alpine",
  "Coastal",
  "Urban",
  "Classic",
  "Nordic",
  "Summit",
  "Harbor",
  "Canyon",
  "Meadow",
  "Ember",
];
const NOUNS: Record<string, string[]> = {
  outdoor: [
    "Trail Jacket",
    "Hiking Boot",
    "Day Pack",
    "Trekking Pole",
    "Sleeping Bag",
    "Rain Shell",
    "Headlamp",
  ],
  home: [
    "Linen Throw",
    "Table Lamp",
    "Ceramic Vase",
    "Wool Rug",
    "Scented Candle",
    "Cushion Cover",
    "Wall Mirror",
  ],
  kitchen: [
    "Chef Knife",
    "Cast Iron Pan",
    "Espresso Cup",
    "Cutting Board",
    "Pepper Mill",
    "Dutch Oven",
    "Tea Kettle",
  ],
  broken: ["Mystery Box", "Gadget", "Widget", "Gizmo", "Doohickey", "Contraption", "Thingamajig"],
};

interface SeedCampaign {
  campaignId: string;
  title: string;
  brand: string;
  domain: string;
  currency: string;
  kind: keyof typeof NOUNS;
  skuPrefix: string;
  feeds: {
    feedId: string;
    name: string;
    layout: SandboxCatalogFeed["layout"];
    filename: string;
    gzip: boolean;
  }[];
}

const SEED_CAMPAIGNS: SeedCampaign[] = [
  {
    campaignId: "10l176",
    title: "Trailhead Outdoor",
    brand: "Trailhead",
    domain: "trailhead.example",
    currency: "USD",
    kind: "outdoor",
    skuPrefix: "TH",
    feeds: [
      {
        feedId: "1011l10",
        name: "Trailhead US catalog",
        layout: "awin-csv",
        filename: "trailhead-us.csv",
        gzip: true,
      },
    ],
  },
  {
    campaignId: "10l177",
    title: "Maison Lumière",
    brand: "Maison Lumière",
    domain: "maison-lumiere.example",
    currency: "EUR",
    kind: "home",
    skuPrefix: "ML",
    feeds: [
      {
        feedId: "1011l11",
        name: "Maison Lumière FR",
        layout: "google-tsv",
        filename: "maison-fr.tsv",
        gzip: false,
      },
    ],
  },
  {
    campaignId: "10l178",
    title: "Nordic Kitchen",
    brand: "Nordic Kitchen",
    domain: "nordic-kitchen.example",
    currency: "GBP",
    kind: "kitchen",
    skuPrefix: "NK",
    feeds: [
      {
        feedId: "1011l12",
        name: "Nordic Kitchen UK",
        layout: "google-rss",
        filename: "nordic-uk.xml",
        gzip: false,
      },
    ],
  },
];

const BROKEN_CAMPAIGN: SeedCampaign = {
  campaignId: "10l179",
  title: "Broken Brand",
  brand: "Broken Brand",
  domain: "broken.example",
  currency: "USD",
  kind: "broken",
  skuPrefix: "BB",
  feeds: [
    {
      feedId: "1011l13",
      name: "Truncated download",
      layout: "truncated-gzip",
      filename: "broken-truncated.csv",
      gzip: true,
    },
    {
      feedId: "1011l14",
      name: "Missing file",
      layout: "missing",
      filename: "broken-missing.csv",
      gzip: false,
    },
  ],
};

/** EAN-13 with a correct GS1 check digit (or a wrong one when `valid` is false). */
function ean13(body12: string, valid: boolean): string {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(body12[i]) * (i % 2 === 0 ? 1 : 3);
  const check = (10 - (sum % 10)) % 10;
  return body12 + String(valid ? check : (check + 1) % 10);
}

function makeProducts(c: SeedCampaign, count: number, random: () => number): SandboxProduct[] {
  const nouns = NOUNS[c.kind] ?? NOUNS.outdoor!;
  const out: SandboxProduct[] = [];
  for (let i = 0; i < count; i++) {
    const adjective = ADJECTIVES[Math.floor(random() * ADJECTIVES.length)]!;
    const noun = nouns[i % nouns.length]!;
    const sku = `${c.skuPrefix}-${1001 + i}`;
    const cents = 500 + Math.floor(random() * 29500);
    const valid = i !== 3;
    const body = `40${String(1000000000 + Math.floor(random() * 8999999999)).slice(0, 10)}`;
    out.push({
      sku,
      name: `${c.brand} ${adjective} ${noun}`,
      description: `The ${adjective.toLowerCase()} ${noun.toLowerCase()} from ${c.brand}, item ${i + 1}.`,
      url: `https://${c.domain}/p/${sku.toLowerCase()}`,
      image: `https://${c.domain}/img/${sku.toLowerCase()}.jpg`,
      price: cents / 100,
      currency: c.currency,
      brand: c.brand,
      gtin: ean13(body, valid),
      availability: random() < 0.8 ? "in_stock" : "out_of_stock",
      valid,
    });
  }
  return out;
}

export function buildCatalog(options: CatalogOptions): {
  catalog: SandboxCatalogFeed[];
  files: Map<string, HostedFile>;
} {
  const count = Math.max(4, options.productsPerFeed ?? 8);
  const seeds = options.brokenFeeds ? [...SEED_CAMPAIGNS, BROKEN_CAMPAIGN] : SEED_CAMPAIGNS;
  const catalog: SandboxCatalogFeed[] = [];
  const files = new Map<string, HostedFile>();
  seeds.forEach((c, ci) => {
    c.feeds.forEach((f, fi) => {
      const random = seededRandom((options.seed ?? 7) * 1000 + ci * 10 + fi);
      // The truncated feed is large enough that records are read before the gzip data ends.
      const products = makeProducts(c, f.layout === "truncated-gzip" ? Math.max(count, 3000) : count, random);
      const path = FILES + f.filename;
      const entry: SandboxCatalogFeed = {
        campaignId: c.campaignId,
        campaignTitle: c.title,
        feedId: f.feedId,
        name: f.name,
        layout: f.layout,
        filename: f.filename,
        path,
        products,
      };
      if (f.layout === "missing") {
        // the listing names it; the file itself is not hosted
      } else if (f.layout === "truncated-gzip") {
        const full = gzipSync(Buffer.from(renderSandboxFeed("awin-csv", products, f.name)));
        entry.compressedPath = `${path}.gz`;
        files.set(entry.compressedPath, {
          body: full.subarray(0, Math.floor(full.length * 0.6)),
          contentType: "application/gzip",
        });
        files.set(path, {
          body: Buffer.from("product_id,product_name\n"),
          contentType: "text/csv; charset=utf-8",
        });
      } else {
        const text = renderSandboxFeed(f.layout, products, f.name);
        const contentType =
          f.layout === "google-rss"
            ? "application/xml; charset=utf-8"
            : f.layout === "google-tsv"
              ? "text/tab-separated-values; charset=utf-8"
              : "text/csv; charset=utf-8";
        files.set(path, { body: Buffer.from(text, "utf8"), contentType });
        if (f.gzip) {
          entry.compressedPath = `${path}.gz`;
          files.set(entry.compressedPath, {
            body: gzipSync(Buffer.from(text, "utf8")),
            contentType: "application/gzip",
          });
        }
      }
      catalog.push(entry);
    });
  });
  return { catalog, files };
}
