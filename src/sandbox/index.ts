/**
 * The default sandbox: every network module on one loopback server, with demo credentials.
 *
 *   PartnerBoost Brand API      /api/brand                 (partnerboost-brand.ts)
 *   PartnerBoost hosted feeds   /files/partnerboost/{name} (a seeded catalog.csv is hosted)
 *   PartnerBoost Publisher API  /api.php?mod=datafeed&op=…  (partnerboost-publisher.ts)
 *   PartnerBoost Amazon API     /api/datafeed/get_fba_products … (partnerboost-amazon.ts)
 *   Partnerize v1               /campaign/…, /user/publisher/…, /files/partnerize/…
 *
 * `feedpipe sandbox` and `feedpipe demo` start it; tests may compose modules themselves.
 */
import { seededRandom } from "../core/random.js";
import {
  PARTNERBOOST_SANDBOX_BRAND,
  type PartnerboostBrandSandboxModule,
  partnerboostBrandModule,
} from "./partnerboost-brand.js";
import { type PartnerboostAmazonModule, partnerboostAmazonModule } from "./partnerboost-amazon.js";
import { type PartnerboostPublisherModule, partnerboostPublisherModule } from "./partnerboost-publisher.js";
import { type PartnerizeSandboxModule, partnerizeModule } from "./partnerize.js";
import {
  type FaultOptions,
  type RunningSandbox,
  type SandboxModule,
  type SandboxOptions,
  startSandbox,
} from "./server.js";

export { PARTNERBOOST_SANDBOX_BRAND } from "./partnerboost-brand.js";

/** Demo token of the sandbox's PartnerBoost publisher channel (only works against the sandbox). */
export const PARTNERBOOST_SANDBOX_PUBLISHER_TOKEN = "sandbox-publisher-token-4f1c2b9e";

/** Demo credentials of the sandbox's Partnerize user (they only work against the sandbox). */
export const PARTNERIZE_SANDBOX_CREDENTIALS = {
  applicationKey: "sandbox-app-key-7d2f91c4",
  userApiKey: "sandbox-user-key-3e8a56b0",
} as const;

export interface DefaultSandboxOptions {
  port?: number | undefined;
  host?: string | undefined;
  faults?: FaultOptions | undefined;
  /** Products in the generated catalogs (default 100; Partnerize feeds hold at most 500 each). */
  products?: number | undefined;
  /** Seed for generated catalogs (default 7). */
  seed?: number | undefined;
  /** Seconds sent in Retry-After on HTTP 429 answers (default 1). */
  retryAfterSeconds?: number | undefined;
  /** Clock of the rate limiter (tests pass a virtual one). */
  clock?: SandboxOptions["clock"];
}

export interface DefaultSandbox {
  server: RunningSandbox;
  origin: string;
  brand: PartnerboostBrandSandboxModule;
  publisher: PartnerboostPublisherModule;
  amazon: PartnerboostAmazonModule;
  partnerize: PartnerizeSandboxModule;
  modules: SandboxModule[];
  /** Base URL of the brand API. */
  brandApiUrl: string;
  /** URL of the hosted seeded catalog (PartnerBoost CSV layout). */
  catalogUrl: string;
  /** Environment variables that point feedpipe at this sandbox (includes the demo secrets). */
  env: Record<string, string>;
  describe(): string[];
  close(): Promise<void>;
}

const WORDS = [
  "Alpine",
  "Summit",
  "Harbor",
  "Meadow",
  "Canyon",
  "Glacier",
  "Cedar",
  "Coastal",
  "Ridge",
  "Aurora",
];
const THINGS = ["Jacket", "Backpack", "Boot", "Tent", "Lantern", "Bottle", "Fleece", "Cap", "Glove", "Stove"];

function ean13(body12: string): string {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(body12[i]) * (i % 2 === 0 ? 1 : 3);
  return body12 + String((10 - (sum % 10)) % 10);
}

function csvCell(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** A seeded, valid catalog in the PartnerBoost CSV layout (the hosted feed of the sandbox brand). */
export function sandboxCatalogCsv(count: number, seed = 7, origin = "https://shop.sandbox.example"): string {
  const rnd = seededRandom(seed);
  const header =
    "sku,name,url,image,price,currency,description,category,old_price,brand,gtin,mpn,availability";
  const lines = [header];
  for (let i = 1; i <= count; i++) {
    const name = `${WORDS[Math.floor(rnd() * WORDS.length)]} ${THINGS[Math.floor(rnd() * THINGS.length)]} ${i}`;
    const sku = `SBX-${String(i).padStart(5, "0")}`;
    const price = (5 + Math.floor(rnd() * 50000) / 100).toFixed(2);
    const old = rnd() < 0.3 ? (Number(price) * 1.2).toFixed(2) : "";
    const gtin = ean13(`40${String(1000000000 + i).slice(-10)}`);
    lines.push(
      [
        sku,
        name,
        `${origin}/products/${sku.toLowerCase()}`,
        `${origin}/img/${sku.toLowerCase()}.jpg`,
        price,
        "USD",
        `${name}: a sandbox product for feedpipe demos.`,
        "Outdoor > Gear",
        old,
        "Sandbox Outfitters",
        gtin,
        `MPN-${i}`,
        rnd() < 0.85 ? "in_stock" : "out_of_stock",
      ]
        .map(csvCell)
        .join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Start the sandbox with every network module and the demo credentials. */
export async function startDefaultSandbox(options: DefaultSandboxOptions = {}): Promise<DefaultSandbox> {
  const products = options.products ?? 100;
  const seed = options.seed ?? 7;
  const brand = partnerboostBrandModule({
    ...PARTNERBOOST_SANDBOX_BRAND,
    retryAfterSeconds: options.retryAfterSeconds,
  });
  const catalogPath = brand.host("catalog.csv", sandboxCatalogCsv(products, seed));
  const partnerize = partnerizeModule({
    ...PARTNERIZE_SANDBOX_CREDENTIALS,
    seed,
    productsPerFeed: Math.max(4, Math.min(products, 500)),
    retryAfterSeconds: options.retryAfterSeconds,
  });
  const publisher = partnerboostPublisherModule({
    token: PARTNERBOOST_SANDBOX_PUBLISHER_TOKEN,
    products,
    seed,
    retryAfterSeconds: options.retryAfterSeconds,
  });
  const amazon = partnerboostAmazonModule({
    token: PARTNERBOOST_SANDBOX_PUBLISHER_TOKEN,
    products: Math.max(30, Math.min(products, 1000)),
    seed,
    retryAfterSeconds: options.retryAfterSeconds,
  });
  const modules: SandboxModule[] = [brand, publisher, amazon, partnerize];
  const server = await startSandbox({
    port: options.port,
    host: options.host,
    modules,
    faults: options.faults,
    clock: options.clock,
  });
  const brandApiUrl = `${server.origin}/api/brand`;
  const env: Record<string, string> = {
    PARTNERBOOST_BRAND_API_URL: brandApiUrl,
    PARTNERBOOST_BRAND_ID: PARTNERBOOST_SANDBOX_BRAND.brandId,
    PARTNERBOOST_TOKEN: PARTNERBOOST_SANDBOX_BRAND.token,
    PARTNERBOOST_SECRET: PARTNERBOOST_SANDBOX_BRAND.secret,
    PARTNERBOOST_PUBLISHER_API_URL: `${server.origin}/api.php`,
    PARTNERBOOST_PUBLISHER_TOKEN: PARTNERBOOST_SANDBOX_PUBLISHER_TOKEN,
    PARTNERBOOST_AMAZON_API_URL: `${server.origin}/api/datafeed`,
    PARTNERIZE_API_URL: server.origin,
    PARTNERIZE_APPLICATION_KEY: PARTNERIZE_SANDBOX_CREDENTIALS.applicationKey,
    PARTNERIZE_USER_API_KEY: PARTNERIZE_SANDBOX_CREDENTIALS.userApiKey,
  };
  return {
    server,
    origin: server.origin,
    brand,
    publisher,
    amazon,
    partnerize,
    modules,
    brandApiUrl,
    catalogUrl: server.origin + catalogPath,
    env,
    describe: () => server.describe(),
    close: () => server.close(),
  };
}
