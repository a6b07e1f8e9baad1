/**
 * Tracking links and link health for Amazon products, in bounded batches (one request per batch of
 * ids, at most `batchSize` ids each):
 *
 * - `withProductLinks`: join `link` and `link_id` (from `get_fba_products_link`) into a stream of
 *   product batches. A product in `error_list`, missing from the answer, or without a product_id
 *   keeps an empty link and carries the reason (the server's message, escaped) in `error`.
 * - `checkLinkStatus`: the status (`get_amazon_link_status`) of a stream of link ids: active,
 *   inactive (the server says `active: false`), or unknown (not in the answer).
 */
import type { CallOptions } from "../request.js";
import { safeText } from "../values.js";
import type { AmazonClient, AmazonLinkStatus } from "./client.js";
import type { AmazonProduct } from "./fields.js";
import { checkRange, DEFAULT_LINK_BATCH, MAX_LINK_BATCH } from "./filters.js";

export interface LinkedProduct {
  product: AmazonProduct;
  link: string;
  link_id: string;
  /** Why there is no link (escaped server text), when there is none. */
  error?: string | undefined;
}

export interface LinkStats {
  /** Products a link was asked for. */
  requested: number;
  linked: number;
  /** Products left without a link (error_list, missing from the answer, no product_id). */
  failed: number;
  /** Link requests (batches) sent. */
  batches: number;
}

export interface LinkOptions {
  /** Ids per request, 1..100 (default 20). */
  batchSize?: number | undefined;
  uid?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** Split a list into consecutive chunks of at most `size`. */
export function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

const NOT_ANSWERED = "not in PartnerBoost's answer (neither a link nor an error)";

export function withProductLinks(
  batches: AsyncIterable<AmazonProduct[]>,
  client: AmazonClient,
  options: LinkOptions = {},
): { products: AsyncIterable<LinkedProduct[]>; stats(): LinkStats } {
  const size = checkRange("--link-batch", options.batchSize ?? DEFAULT_LINK_BATCH, 1, MAX_LINK_BATCH);
  const stats: LinkStats = { requested: 0, linked: 0, failed: 0, batches: 0 };
  const call: CallOptions = { signal: options.signal };

  async function* run(): AsyncGenerator<LinkedProduct[]> {
    for await (const batch of batches) {
      const out: LinkedProduct[] = batch.map((product) => ({ product, link: "", link_id: "" }));
      const byId = new Map<string, LinkedProduct>();
      for (const item of out) {
        if (item.product.product_id === "") item.error = "no product_id to ask a link for";
        else byId.set(item.product.product_id, item);
      }
      stats.requested += batch.length;
      for (const ids of chunks([...byId.keys()], size)) {
        stats.batches++;
        const answer = await client.productLinks(ids, options.uid, call);
        for (const e of answer.errors) {
          const item = byId.get(e.product_id ?? "");
          if (item && item.link === "") item.error = safeText(e.message || "no message");
        }
        for (const l of answer.items) {
          const item = byId.get(l.product_id ?? "");
          if (item && (l.link ?? "") !== "") {
            item.link = l.link ?? "";
            item.link_id = l.link_id ?? "";
            item.error = undefined;
          }
        }
        for (const id of ids) {
          const item = byId.get(id) as LinkedProduct;
          if (item.link === "" && item.error === undefined) item.error = NOT_ANSWERED;
        }
      }
      for (const item of out) {
        if (item.link !== "") stats.linked++;
        else stats.failed++;
      }
      yield out;
    }
  }

  return { products: run(), stats: () => ({ ...stats }) };
}

export type LinkState = "active" | "inactive" | "unknown";

export interface LinkStatusResult extends AmazonLinkStatus {
  state: LinkState;
}

export interface LinkStatusStats {
  checked: number;
  active: number;
  inactive: number;
  unknown: number;
  batches: number;
}

/** Check link ids in batches; yields one result per id, in input order. Duplicate ids are checked once. */
export function checkLinkStatus(
  ids: AsyncIterable<string>,
  client: AmazonClient,
  options: { batchSize?: number | undefined; signal?: AbortSignal | undefined } = {},
): { results: AsyncIterable<LinkStatusResult[]>; stats(): LinkStatusStats } {
  const size = checkRange("--batch", options.batchSize ?? DEFAULT_LINK_BATCH, 1, MAX_LINK_BATCH);
  const stats: LinkStatusStats = { checked: 0, active: 0, inactive: 0, unknown: 0, batches: 0 };
  const seen = new Set<string>();

  async function* check(batch: string[]): AsyncGenerator<LinkStatusResult[]> {
    stats.batches++;
    const answer = await client.linkStatus(batch, { signal: options.signal });
    const byId = new Map(answer.map((s) => [s.link_id, s]));
    const out = batch.map((link_id): LinkStatusResult => {
      const s = byId.get(link_id);
      if (s === undefined) {
        stats.unknown++;
        return {
          link_id,
          active: undefined,
          asin: "",
          brand_id: "",
          link: "",
          country: "",
          type: "",
          uid: "",
          state: "unknown",
        };
      }
      const state: LinkState = s.active === true ? "active" : s.active === false ? "inactive" : "unknown";
      stats[state]++;
      return { ...s, state };
    });
    stats.checked += out.length;
    yield out;
  }

  async function* run(): AsyncGenerator<LinkStatusResult[]> {
    let batch: string[] = [];
    for await (const id of ids) {
      if (seen.has(id)) continue;
      seen.add(id);
      batch.push(id);
      if (batch.length >= size) {
        yield* check(batch);
        batch = [];
      }
    }
    if (batch.length > 0) yield* check(batch);
  }

  return { results: run(), stats: () => ({ ...stats }) };
}
