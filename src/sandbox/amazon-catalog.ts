/**
 * A seeded catalog of Amazon products in the shape PartnerBoost's `get_fba_products` sends them
 * (prices as text with the marketplace's symbol and number style, percentages as text, comma-joined
 * variants, promo code lists), across several marketplaces and currencies. Used by the sandbox.
 *
 * What it covers: US ($), CA (CA$), UK (£), DE (€ with a decimal comma: "1.299,00 €"), JP (￥, no
 * decimals); brands joined with and without storefront support; products without a relationship
 * (their links end in `error_list`); 0–3 promo codes; variant lists with spaces and blanks; null
 * discount codes and coupons; some products in an accelerated-commission (ACC) window.
 */
import { seededRandom } from "../core/random.js";

export interface AmazonSandboxBrand {
  bid: string;
  brand_name: string;
  country: string;
  currency: string;
  /** Joined by the sandbox publisher (listed by get_amazon_joined_brands). */
  joined: boolean;
  storefront: boolean;
}

export const AMAZON_SANDBOX_BRANDS: readonly AmazonSandboxBrand[] = [
  { bid: "90863", brand_name: "Midea_US", country: "US", currency: "USD", joined: true, storefront: true },
  {
    bid: "91207",
    brand_name: "Blåbær Küche DE",
    country: "DE",
    currency: "EUR",
    joined: true,
    storefront: true,
  },
  {
    bid: "92544",
    brand_name: "Lumen & Co UK",
    country: "UK",
    currency: "GBP",
    joined: true,
    storefront: false,
  },
  {
    bid: "93018",
    brand_name: "Kōhī Works JP",
    country: "JP",
    currency: "JPY",
    joined: true,
    storefront: true,
  },
  {
    bid: "94410",
    brand_name: "Northridge CA",
    country: "CA",
    currency: "CAD",
    joined: true,
    storefront: false,
  },
  {
    bid: "95102",
    brand_name: "Voltline US",
    country: "US",
    currency: "USD",
    joined: false,
    storefront: true,
  },
];

const DOMAINS: Record<string, string> = {
  US: "www.amazon.com",
  DE: "www.amazon.de",
  UK: "www.amazon.co.uk",
  JP: "www.amazon.co.jp",
  CA: "www.amazon.ca",
};

const CATEGORIES: [string, string][] = [
  ["Appliances", "Chest Freezers"],
  ["Home & Kitchen", "Coffee Makers"],
  ["Electronics", "Headphones"],
  ["Sports & Outdoors", "Tents"],
  ["Beauty", "Hair Dryers"],
];
const NAMES = ["Freezer", "Espresso Machine", "Headphones", "Tent, 4-Person", 'Hair Dryer "Pro"', "Kettle"];

/** A product as the sandbox serves it (wire shape), plus what the sandbox needs to know. */
export interface AmazonSandboxProduct {
  wire: Record<string, unknown>;
  product_id: string;
  asin: string;
  bid: string;
  country: string;
  /** Has a relationship with the publisher: links can be generated. */
  linkable: boolean;
  hasPromo: boolean;
  hasAcc: boolean;
}

/** Money text in the marketplace's style. */
export function amazonMoney(amount: number, currency: string): string {
  switch (currency) {
    case "EUR":
      return `${amount
        .toFixed(2)
        .replace(".", ",")
        .replace(/\B(?=(\d{3})+,)/g, ".")} €`;
    case "GBP":
      return `£${amount.toFixed(2)}`;
    case "JPY":
      return `￥${Math.round(amount).toLocaleString("en-US")}`;
    case "CAD":
      return `CA$${amount.toFixed(2)}`;
    default:
      return `$${amount.toFixed(2).replace(/\B(?=(\d{3})+\.)/g, ",")}`;
  }
}

function hex(rnd: () => number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += Math.floor(rnd() * 16).toString(16);
  return s;
}

function asinOf(rnd: () => number): string {
  const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  let s = "B0";
  for (let i = 0; i < 8; i++) s += chars[Math.floor(rnd() * chars.length)];
  return s;
}

export function generateAmazonCatalog(count: number, seed = 11): AmazonSandboxProduct[] {
  const rnd = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const out: AmazonSandboxProduct[] = [];
  for (let i = 0; i < count; i++) {
    const brand = AMAZON_SANDBOX_BRANDS[i % AMAZON_SANDBOX_BRANDS.length] as AmazonSandboxBrand;
    const [category, subcategory] = pick(CATEGORIES);
    const asin = asinOf(rnd);
    const scale = brand.currency === "JPY" ? 150 : 1;
    const original = Math.round((10 + rnd() * 1400) * 100) / 100;
    const discount = rnd() < 0.5 ? 0 : pick([5, 10, 15, 20, 30]);
    const price = Math.round(original * (1 - discount / 100) * 100) / 100;
    const variants = rnd() < 0.4 ? [] : Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => asinOf(rnd));
    const promoCount = rnd() < 0.6 ? 0 : 1 + Math.floor(rnd() * 3);
    const hasAcc = rnd() < 0.3;
    const promo_code_list = Array.from({ length: promoCount }, (_, k) => ({
      promotion_title: `MPC-S Percentage Off ${i}-${k}`,
      tracking_id: `PLM-${hex(rnd, 8)}-${i}-${k}`,
      promo_code: `SAVE${(k + 1) * 5}X${i}`,
      buyer_gets: String((k + 1) / 10),
      promo_code_start_time: "2025-04-09T10:00:00-07:00",
      promo_code_end_time: "2025-04-19T11:00:00-07:00",
      redemptions_per_customer: 1 + k,
      can_combine_with_coupon: k % 2 === 1,
      promotional_price: amazonMoney(price * (0.9 - k / 20) * scale, brand.currency),
    }));
    const variantText =
      variants.length === 0 ? "" : i % 7 === 0 ? ` ${variants.join(" , ")}, ` : variants.join(",");
    const wire: Record<string, unknown> = {
      product_id: hex(rnd, 32),
      product_name: `${brand.brand_name.split(" ")[0]} ${pick(NAMES)} ${i + 1}`,
      image: `https://m.media-amazon.com/images/I/${asin}._SS500_.jpg`,
      asin,
      discount: `${discount}%`,
      discount_code: rnd() < 0.2 ? `DC${i}` : null,
      coupon: rnd() < 0.15 ? `${pick([5, 10])}%` : null,
      commission: `${pick([3, 5, 8, 10, 12.5])}%`,
      category,
      subcategory,
      parent_asin: variants.length > 0 ? asinOf(rnd) : "",
      variant_asin: variantText,
      availability: rnd() < 0.85 ? "IN_STOCK" : "OUT_OF_STOCK",
      rating: (3 + rnd() * 2).toFixed(1),
      reviews: String(Math.floor(rnd() * 20000)),
      url: `https://${DOMAINS[brand.country] ?? "www.amazon.com"}/dp/${asin}`,
      brand_id: brand.bid,
      brand_name: brand.brand_name,
      update_time: `2025-03-${String(1 + (i % 28)).padStart(2, "0")}`,
      country_code: brand.country,
      relationship: 1,
      original_price: amazonMoney(original * scale, brand.currency),
      discount_price: amazonMoney(price * scale, brand.currency),
      currency: brand.currency,
      acc_commission: hasAcc ? `${pick([15, 20, 23])}%` : "",
      acc_start_date: hasAcc ? "2025-07-15T00:00:00-07:00" : "",
      acc_end_date: hasAcc ? "2025-07-31T00:00:00-07:00" : "",
      promo_code_list,
    };
    out.push({
      wire,
      product_id: wire.product_id as string,
      asin,
      bid: brand.bid,
      country: brand.country,
      linkable: brand.joined && i % 9 !== 4,
      hasPromo: promoCount > 0,
      hasAcc,
    });
  }
  return out;
}
