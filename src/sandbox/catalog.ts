/**
 * A seeded generator of realistic products across several brands, in the PartnerBoost publisher
 * shape (every value a string, as the API sends it). Used by the sandbox; usable by bench.
 *
 * What "realistic" covers: names and descriptions with commas, quotes, the odd line break and
 * non-ASCII text (Blåbær, Café, Kōhī, 日本製); prices by category, including some over 1000 and
 * some under 10; old prices on about 40% of products (discounts 5%..80%); GTIN-13 and UPC-A codes
 * with valid check digits and trade-item prefixes; MPNs, colours and sizes in custom1/custom2;
 * tracking links; `updated_at` as Unix seconds. Two brands number their SKUs the same way, so the
 * same sku appears under two brand ids (which is why products are keyed by sku + brand_id).
 *
 * `flawRate` (default 0.02) makes that fraction of products carry one typical feed problem (a wrong
 * GTIN check digit, a spreadsheet-mangled GTIN, a missing image, a relative URL, an unknown
 * availability), so a `--validate` report has something to say. No value starts with = + - @
 * (CSV formula protection would change it).
 */
import { seededRandom } from "../core/random.js";
import { PUBLISHER_FIELDS, type PublisherProduct } from "../networks/partnerboost/publisher.js";

export interface CatalogBrand {
  /** Numeric brand id, as a string ("66303"). */
  id: string;
  /** Brand identifier ("northridge0"). */
  mcid: string;
  /** Merchant name. */
  name: string;
  type: "TikTok" | "DTC" | "Walmart";
  currency: string;
  domain: string;
  /** How the brand writes SKUs: a prefix, or "numeric" for plain counters. */
  sku: string;
  /** Relative share of the catalog. */
  weight: number;
  categories: string[];
}

export type CatalogProduct = PublisherProduct & { brand_type: CatalogBrand["type"] };

export const DEFAULT_BRANDS: readonly CatalogBrand[] = [
  {
    id: "66303",
    mcid: "northridge0",
    name: "Northridge Outfitters",
    type: "DTC",
    currency: "USD",
    domain: "northridge.example.com",
    sku: "NR",
    weight: 5,
    categories: ["Apparel > Outerwear", "Sports > Camping", "Apparel > Shoes"],
  },
  {
    id: "73461",
    mcid: "blaabaer",
    name: "Blåbær Home",
    type: "DTC",
    currency: "EUR",
    domain: "blaabaer.example.eu",
    sku: "numeric",
    weight: 3,
    categories: ["Home > Kitchen", "Home > Furniture", "Home > Decor"],
  },
  {
    id: "70112",
    mcid: "kohiworks",
    name: "Kōhī Works",
    type: "TikTok",
    currency: "USD",
    domain: "kohiworks.example.com",
    sku: "KW",
    weight: 2,
    categories: ["Home > Kitchen", "Food & Drink > Coffee"],
  },
  {
    id: "81005",
    mcid: "voltline",
    name: "Voltline Electronics",
    type: "Walmart",
    currency: "USD",
    domain: "voltline.example.com",
    sku: "numeric",
    weight: 4,
    categories: ["Electronics > Audio", "Electronics > Computers", "Electronics > Smart Home"],
  },
  {
    id: "66911",
    mcid: "lumenco",
    name: "Lumen & Co",
    type: "TikTok",
    currency: "GBP",
    domain: "lumenandco.example.co.uk",
    sku: "LUM",
    weight: 2,
    categories: ["Beauty > Skincare", "Beauty > Fragrance"],
  },
  {
    id: "90210",
    mcid: "pinecrest",
    name: "Pinecrest Furniture",
    type: "Walmart",
    currency: "USD",
    domain: "pinecrest.example.com",
    sku: "PC",
    weight: 2,
    categories: ["Home > Furniture", "Garden > Outdoor Furniture"],
  },
];

const ADJECTIVES = [
  "Classic",
  "Ultra",
  "Eco",
  "Pro",
  "Deluxe",
  "Compact",
  "Heritage",
  "Nordic",
  "Urban",
  "Café",
  "Señorita",
  "Über",
  "Alpine",
  "Coastal",
  "Everyday",
  "Signature",
];
const MATERIALS = [
  "Wool",
  "Linen",
  "Oak",
  "Walnut",
  "Cotton",
  "Steel",
  "Ceramic",
  "Recycled",
  "Bamboo",
  "Leather",
];
const NOUNS: Record<string, string[]> = {
  "Apparel > Outerwear": ["Parka", "Rain Jacket", "Fleece", "Gilet", "Overshirt"],
  "Apparel > Shoes": ["Trail Runner", "Sneaker", "Hiking Boot", "Loafer"],
  "Sports > Camping": ["Tent", "Sleeping Bag", "Camp Stove", "Backpack", "Headlamp"],
  "Home > Kitchen": ["Kettle", "Pour-Over Set", "Chef's Knife", "Dutch Oven", "Mug Set"],
  "Home > Furniture": ["Dining Table", "Armchair", "Bookshelf", "Sideboard", "Sofa"],
  "Home > Decor": ["Vase", "Throw Blanket", "Table Lamp", "Mirror"],
  "Food & Drink > Coffee": ["Espresso Beans", "Cold Brew Kit", "Grinder", "Drip Coffee Bags"],
  "Electronics > Audio": ["Headphones", "Bookshelf Speaker", "Soundbar", "Earbuds"],
  "Electronics > Computers": ["Laptop Stand", "Mechanical Keyboard", "4K Monitor", "USB-C Dock"],
  "Electronics > Smart Home": ["Smart Plug", "Video Doorbell", "Thermostat", "Mesh Router"],
  "Beauty > Skincare": ["Face Serum", "Night Cream", "Cleansing Balm", "SPF 50 Fluid"],
  "Beauty > Fragrance": ["Eau de Parfum", "Candle", "Room Spray"],
  "Garden > Outdoor Furniture": ["Lounge Chair", "Patio Set", "Hammock", "Parasol"],
};
const PRICE_BANDS: Record<string, [number, number]> = {
  "Apparel > Outerwear": [39, 420],
  "Apparel > Shoes": [45, 260],
  "Sports > Camping": [15, 690],
  "Home > Kitchen": [9, 340],
  "Home > Furniture": [180, 2400],
  "Home > Decor": [12, 180],
  "Food & Drink > Coffee": [6, 140],
  "Electronics > Audio": [25, 1300],
  "Electronics > Computers": [29, 1800],
  "Electronics > Smart Home": [19, 320],
  "Beauty > Skincare": [8, 120],
  "Beauty > Fragrance": [18, 240],
  "Garden > Outdoor Furniture": [60, 3200],
};
const COLORS = ["Black", "Forest Green", "Navy", "Sand", "Rust", "Grey Marl", "Off-White", "Blå"];
const SIZES = ["XS", "S", "M", "L", "XL", "One Size", "38", "42", '10"'];
const PHRASES = [
  "built for everyday use",
  "made from responsibly sourced materials",
  "designed in Oslo, made in Portugal",
  'our "best seller" since 2019',
  "water-resistant, breathable and light",
  "with a 2-year warranty",
  "dishwasher safe",
  "hand-finished in small batches",
  "日本製 ceramic glaze",
  "naïve, playful colours",
  "ships in recyclable packaging",
  "fits true to size; size up for layering",
  "100% cotton, pre-washed",
  "tested to 10,000 cycles",
];
const AVAILABILITY = ["in stock", "in stock", "in stock", "in stock", "out of stock", "preorder"];
const EAN_PREFIXES = ["400", "401", "425", "460", "500", "539", "690", "760", "800", "871", "890", "930"];
const UPC_FIRST = ["0", "1", "6", "7", "8"];

/** GS1 mod-10 check digit for the digits before it. */
function checkDigit(body: string): number {
  let sum = 0;
  for (let i = body.length - 1, w = 3; i >= 0; i--, w = 4 - w) sum += (body.charCodeAt(i) - 48) * w;
  return (10 - (sum % 10)) % 10;
}

export interface CatalogOptions {
  /** Number of products (default 2500). */
  count?: number | undefined;
  seed?: number | undefined;
  /** Brand list, or how many of DEFAULT_BRANDS to use (default all). */
  brands?: number | readonly CatalogBrand[] | undefined;
  /** Fraction of products with one typical feed problem (default 0.02). */
  flawRate?: number | undefined;
  /** Prefix for every SKU (for products added later, e.g. "NEW-"). */
  skuPrefix?: string | undefined;
  /** Base Unix time for updated_at (default 1735689600 = 2025-01-01). */
  epoch?: number | undefined;
}

export function resolveBrands(brands: CatalogOptions["brands"]): readonly CatalogBrand[] {
  if (brands === undefined) return DEFAULT_BRANDS;
  if (typeof brands === "number") {
    const n = Math.max(1, Math.min(DEFAULT_BRANDS.length, Math.floor(brands)));
    return DEFAULT_BRANDS.slice(0, n);
  }
  if (brands.length === 0) throw new Error("a catalog needs at least one brand");
  return brands;
}

function slug(s: string): string {
  return s
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** Generate products one at a time (flat memory for any count). */
export function* catalogProducts(options: CatalogOptions = {}): Generator<CatalogProduct> {
  const count = options.count ?? 2500;
  const rand = seededRandom(options.seed ?? 42);
  const brands = resolveBrands(options.brands);
  const flawRate = options.flawRate ?? 0.02;
  const prefix = options.skuPrefix ?? "";
  const epoch = options.epoch ?? 1_735_689_600;
  const pick = <T>(arr: readonly T[]): T => arr[Math.floor(rand() * arr.length)] as T;
  const totalWeight = brands.reduce((s, b) => s + b.weight, 0);
  const counters = new Map<string, number>();

  for (let i = 0; i < count; i++) {
    // Brand by weight.
    let r = rand() * totalWeight;
    let brand = brands[brands.length - 1] as CatalogBrand;
    for (const b of brands) {
      r -= b.weight;
      if (r < 0) {
        brand = b;
        break;
      }
    }
    const n = (counters.get(brand.id) ?? 0) + 1;
    counters.set(brand.id, n);
    const sku =
      brand.sku === "numeric"
        ? `${prefix}${10000 + n}`
        : `${prefix}${brand.sku}-${String(n).padStart(6, "0")}`;
    const category = pick(brand.categories);
    const noun = pick(NOUNS[category] ?? ["Item"]);
    const color = pick(COLORS);
    const size = category.startsWith("Apparel") ? pick(SIZES) : "";
    const name = `${pick(ADJECTIVES)} ${pick(MATERIALS)} ${noun}${rand() < 0.5 ? `, ${color}` : ""}${size ? ` (${size})` : ""}`;
    const sentences: string[] = [];
    const parts = 2 + Math.floor(rand() * 4);
    for (let k = 0; k < parts; k++) {
      const phrase = pick(PHRASES);
      if (!sentences.includes(phrase)) sentences.push(phrase);
    }
    let description = `The ${name} from ${brand.name}: ${sentences.join(", ")}.`;
    if (rand() < 0.05) description += "\nCare: wipe clean, do not tumble dry.";
    const [lo, hi] = PRICE_BANDS[category] ?? [5, 500];
    // Skewed towards the low end of the band, as real catalogs are.
    const priceValue = Math.round((lo + (hi - lo) * rand() ** 2) * 100) / 100;
    let oldPrice = "";
    if (rand() < 0.4) {
      const discount = 0.05 + rand() * 0.75;
      oldPrice = (Math.ceil((priceValue / (1 - discount)) * 100) / 100).toFixed(2);
    }
    let gtin = "";
    const g = rand();
    if (g < 0.55) {
      let body = pick(EAN_PREFIXES);
      while (body.length < 12) body += String(Math.floor(rand() * 10));
      gtin = body + checkDigit(body);
    } else if (g < 0.85) {
      let body = pick(UPC_FIRST);
      while (body.length < 11) body += String(Math.floor(rand() * 10));
      gtin = body + checkDigit(body);
    }
    const productSlug = `${slug(name)}-${slug(sku)}`;
    const url = `https://${brand.domain}/products/${productSlug}`;
    const creative = String(100000 + Math.floor(rand() * 900000));
    const code = Math.floor(rand() * 36 ** 5)
      .toString(36)
      .padStart(5, "0");
    const p: CatalogProduct = {
      name,
      description,
      brand_id: brand.id,
      mcid: brand.mcid,
      merchant_name: brand.name,
      url,
      image: `https://cdn.${brand.domain}/images/${slug(sku)}.jpg`,
      sku,
      category,
      price: priceValue.toFixed(2),
      currency: brand.currency,
      old_price: oldPrice,
      brand: brand.name,
      availability: pick(AVAILABILITY),
      gtin,
      mpn: `${brand.mcid.slice(0, 3).toUpperCase()}${Math.floor(rand() * 1e6)
        .toString()
        .padStart(6, "0")}`,
      custom1: color,
      custom2: size,
      custom3: "",
      creative_id: creative,
      tracking_url: `https://app.partnerboost.com/track/${creative}${code}?url=${encodeURIComponent(url)}`,
      tracking_url_short: `https://pboost.me/${code}`,
      tracking_url_smart: `https://app.partnerboost.com/track/smart/${brand.id}/${code}?url=${encodeURIComponent(url)}`,
      updated_at: String(epoch - Math.floor(rand() * 365 * 86400)),
      brand_type: brand.type,
    };
    if (rand() < flawRate) {
      switch (Math.floor(rand() * 5)) {
        case 0:
          if (p.gtin) p.gtin = p.gtin.slice(0, -1) + String((Number(p.gtin.slice(-1)) + 1) % 10);
          else p.gtin = "4006381333932".slice(0, 12) + "1";
          break;
        case 1:
          p.gtin = "4.00638E+12";
          break;
        case 2:
          p.image = "";
          break;
        case 3:
          p.url = `/products/${productSlug}`;
          break;
        default:
          p.availability = "limited";
      }
    }
    yield p;
  }
}

/** Generate a whole catalog in memory (the sandbox serves from it). */
export function generateCatalog(options: CatalogOptions = {}): CatalogProduct[] {
  return [...catalogProducts(options)];
}

/** The publisher-API view of a catalog product (drops the sandbox-only brand_type). */
export function toPublisherProduct(p: CatalogProduct): PublisherProduct {
  const out = {} as PublisherProduct;
  for (const f of PUBLISHER_FIELDS) out[f] = p[f];
  return out;
}
