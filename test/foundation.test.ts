import { gzipSync } from "node:zlib";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig, requireSettings } from "../src/core/config.js";
import { FeedpipeError, NetworkError, redactSecrets, redactUrl, urlSecrets } from "../src/core/errors.js";
import { backoffDelay, DEFAULT_RETRY_POLICY, withRetry } from "../src/core/retry.js";
import { decode, xmlDeclaredEncoding } from "../src/io/decode.js";
import { decompress, detectCompression } from "../src/io/decompress.js";
import { parseRetryAfter, statusError, transportError } from "../src/io/http.js";
import { sniffDelimiter, sniffFormat, sniffJsonArrayPath, sniffRecordTag } from "../src/formats/sniff.js";
import { zipOf as zipEntries } from "./helpers/zip.js";

async function* chunks(buf: Buffer, size: number): AsyncIterable<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}
async function bytes(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts);
}
async function text(it: AsyncIterable<string>): Promise<string> {
  let s = "";
  for await (const c of it) s += c;
  return s;
}

/** A one-entry zip. */
function zipOf(name: string, content: Buffer, method: 0 | 8, dataDescriptor = false): Buffer {
  return zipEntries([[name, content]], method, dataDescriptor);
}

describe("retry policy", () => {
  it("retries retryable errors, then succeeds", async () => {
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 3) throw new NetworkError("HTTP_STATUS", "HTTP 500", { retryable: true });
        return "ok";
      },
      { policy: { baseDelayMs: 1 } },
    );
    expect(result).toBe("ok");
    expect(calls).toBe(3);
  });

  it("does not retry non-retryable errors, and records the attempts", async () => {
    let calls = 0;
    const err = await withRetry(
      async () => {
        calls++;
        throw new NetworkError("NET_AUTH_FAILED", "bad token");
      },
      { policy: { baseDelayMs: 1 } },
    ).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect((err as NetworkError).code).toBe("NET_AUTH_FAILED");
    expect((err as NetworkError).context.attempts).toBe(1);
  });

  it("gives up after the bounded number of attempts with the last error", async () => {
    let calls = 0;
    const err = await withRetry(
      async () => {
        calls++;
        throw new NetworkError("NET_RATE_LIMITED", "slow down", { retryable: true, retryAfterMs: 1 });
      },
      { policy: { attempts: 4, baseDelayMs: 1 } },
    ).catch((e: unknown) => e);
    expect(calls).toBe(4);
    expect((err as NetworkError).code).toBe("NET_RATE_LIMITED");
  });

  it("honours Retry-After over the backoff, capped, and jitters the backoff", () => {
    const p = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };
    expect(backoffDelay(p, 1, new NetworkError("NET_RATE_LIMITED", "x", { retryAfterMs: 2000 }))).toBe(2000);
    expect(backoffDelay(p, 1, new NetworkError("NET_RATE_LIMITED", "x", { retryAfterMs: 60_000 }))).toBe(
      5000,
    );
    expect(backoffDelay(p, 1, undefined, () => 0)).toBe(25);
    expect(backoffDelay(p, 3, undefined, () => 1)).toBe(400);
    expect(backoffDelay(p, 10, undefined, () => 1)).toBe(1000);
  });

  it("keeps its own backoff as the floor under a Retry-After shorter than it (Retry-After: 0 on a 503)", () => {
    const p = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };
    const zero = new NetworkError("HTTP_STATUS", "x", { retryAfterMs: 0, retryable: true });
    expect(backoffDelay(p, 1, zero, () => 0)).toBe(25);
    expect(backoffDelay(p, 3, zero, () => 1)).toBe(400);
    expect(
      backoffDelay(p, 3, new NetworkError("NET_RATE_LIMITED", "x", { retryAfterMs: 2000 }), () => 1),
    ).toBe(2000);
  });
});

describe("HTTP outcome mapping", () => {
  it("parses Retry-After seconds and dates", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter("soon")).toBeUndefined();
  });

  it("classifies statuses", () => {
    const auth = statusError("https://api.example.com/x?token=abc123secret", 401, {});
    expect(auth.code).toBe("NET_AUTH_FAILED");
    expect(auth.retryable).toBe(false);
    expect(auth.message).not.toContain("abc123secret");
    const rate = statusError("https://api.example.com/x", 429, { "x-ratelimit-retry-after": "7" });
    expect(rate.code).toBe("NET_RATE_LIMITED");
    expect(rate.retryAfterMs).toBe(7000);
    expect(statusError("https://a.example/x", 503, {}).retryable).toBe(true);
    expect(statusError("https://a.example/x", 404, {}).retryable).toBe(false);
  });

  it("classifies transport errors", () => {
    expect(
      transportError(Object.assign(new Error("reset"), { code: "ECONNRESET" }), "http://h/x").retryable,
    ).toBe(true);
    const t = transportError(
      Object.assign(new Error("t"), { code: "UND_ERR_HEADERS_TIMEOUT" }),
      "http://h/x",
    );
    expect(t.code).toBe("HTTP_TIMEOUT");
    expect(t.retryable).toBe(true);
  });

  it("redacts credentials and secret parameters", () => {
    expect(redactUrl("https://user:pw@h.example/p?token=t0k3n&page=2")).toBe(
      "https://***:***@h.example/p?token=***&page=2",
    );
    expect(redactSecrets("token t0k3nvalue here", ["t0k3nvalue", undefined])).toBe("token *** here");
  });

  it("redacts a secret echoed in hex, in another case, or cut short, but not a short head of it", () => {
    const token = "TokABCDEF0123456789xyz";
    const hex = Buffer.from(token).toString("hex");
    const echo = `hex ${hex} HEX ${hex.toUpperCase()} upper ${token.toUpperCase()} cut ${token.slice(0, 20)} end`;
    const out = redactSecrets(echo, [token]);
    expect(out).toBe("hex *** HEX *** upper *** cut *** end");
    // A head shorter than three quarters of the secret (or 12 characters) is not the secret.
    expect(redactSecrets(`id ${token.slice(0, 10)} ok`, [token])).toBe(`id ${token.slice(0, 10)} ok`);
    // Characters special to a regular expression are matched literally.
    expect(redactSecrets("a.b*c+d?e(f)g[h]i|j^k$l a-b*c+d", ["a.b*c+d?e(f)g[h]i|j^k$l"])).toBe("*** a-b*c+d");
    expect(redactSecrets("ab cd", ["a.b*c+d?e(f)g[h]i|j^k$l"])).toBe("ab cd");
    // A head goes on as far as the text spells the secret, and no further.
    expect(redactSecrets(`x ${token.slice(0, 20)}Q y`, [token])).toBe("x ***Q y");
  });

  it("redacts long secrets (a 16 kB signed token) without a pattern that could not compile", () => {
    const long = Array.from(
      { length: 16_384 },
      (_, i) => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"[(i * 7 + 3) % 62],
    ).join("");
    expect(redactSecrets(`token=${long}&page=2`, [long])).toBe("token=***&page=2");
    const mid = long.slice(0, 500);
    expect(redactSecrets(`a ${mid} b ${mid.slice(0, 400)} c`, [mid])).toBe("a *** b *** c");
  });

  it("urlSecrets: credential parameters by whole name, never ordinary words", () => {
    expect(
      urlSecrets(
        "https://u:p%40ss-word@h.example/f.csv?access_token=tok123456&keyword=price&sort_key=title&author=valid",
      ),
    ).toEqual(["p%40ss-word", "p@ss-word", "tok123456"]);
    // A malformed escape in the user info does not lose the token.
    expect(urlSecrets("https://user:50%off@h.example/f.csv?access_token=tok123456")).toContain("tok123456");
    expect(urlSecrets("https://h.example/f.csv?X-Amz-Signature=abcdef123456&sig=zz")).toEqual([
      "abcdef123456",
    ]);
    expect(urlSecrets("not a url")).toEqual([]);
  });
});

describe("decompression by magic bytes", () => {
  const content = Buffer.from("sku,name\nA,Alpha\nB,Beta\n");

  it("detects gzip and zip regardless of name", () => {
    expect(detectCompression(gzipSync(content))).toBe("gzip");
    expect(detectCompression(zipOf("f.csv", content, 8))).toBe("zip");
    expect(detectCompression(content)).toBe("none");
  });

  it("gunzips multi-member gzip across tiny chunks", async () => {
    const two = Buffer.concat([gzipSync(content.subarray(0, 10)), gzipSync(content.subarray(10))]);
    const d = await decompress(chunks(two, 3), "f.gz");
    expect(d.compression).toBe("gzip");
    expect((await bytes(d.chunks)).toString()).toBe(content.toString());
  });

  it("reports a truncated gzip with a coded error", async () => {
    const gz = gzipSync(Buffer.alloc(100_000, "a"));
    const d = await decompress(chunks(gz.subarray(0, gz.length - 20), 1000), "cut.gz");
    const err = await bytes(d.chunks).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FeedpipeError);
    expect((err as FeedpipeError).code).toBe("FEED_GZIP_TRUNCATED");
    expect((err as FeedpipeError).message).toContain("cut.gz");
  });

  it.each([
    ["deflated", 8 as const, false],
    ["stored", 0 as const, false],
    ["deflated with data descriptor", 8 as const, true],
  ])("reads the one file of a %s zip", async (_label, method, dd) => {
    const d = await decompress(chunks(zipOf("feed.csv", content, method, dd), 7), "f.zip");
    expect(d.compression).toBe("zip");
    expect((await bytes(d.chunks)).toString()).toBe(content.toString());
  });
});

describe("charset decoding", () => {
  it("strips a UTF-8 BOM", async () => {
    const d = await decode(chunks(Buffer.from("\uFEFFsku\nA\n"), 2), "f");
    expect(d.bom).toBe(true);
    expect(await text(d.chunks)).toBe("sku\nA\n");
  });

  it("decodes UTF-16 LE and BE by BOM", async () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("naïve,€\n", "utf16le")]);
    const d1 = await decode(chunks(le, 3), "f");
    expect(d1.encoding).toBe("utf-16le");
    expect(await text(d1.chunks)).toBe("naïve,€\n");
    const be = Buffer.from(le.subarray(2)).swap16();
    const d2 = await decode(chunks(Buffer.concat([Buffer.from([0xfe, 0xff]), be]), 5), "f");
    expect(d2.encoding).toBe("utf-16be");
    expect(await text(d2.chunks)).toBe("naïve,€\n");
  });

  it("uses the XML declaration's encoding", async () => {
    const xml = Buffer.concat([
      Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><r>caf'),
      Buffer.from([0xe9]),
      Buffer.from("</r>"),
    ]);
    expect(xmlDeclaredEncoding(xml)).toBe("ISO-8859-1");
    const d = await decode(chunks(xml, 4), "f.xml");
    expect(d.encoding).toBe("windows-1252");
    expect(await text(d.chunks)).toContain("café");
  });

  it("flags invalid UTF-8 instead of throwing, and keeps multibyte characters split across chunks", async () => {
    const good = Buffer.from("é€😀\n");
    const d = await decode(chunks(good, 1), "f");
    expect(await text(d.chunks)).toBe("é€😀\n");
    expect(d.state.invalidBytes).toBe(false);
    const bad = await decode(chunks(Buffer.from([0x61, 0xff, 0x62, 0x0a]), 1), "f");
    expect(await text(bad.chunks)).toBe("a\uFFFDb\n");
    expect(bad.state.invalidBytes).toBe(true);
  });

  it("a U+FFFD the feed holds as it is (EF BF BD) is not invalid, split across chunks or not", async () => {
    const literal = Buffer.from("a\uFFFDb\uFFFD\uFFFD\n");
    for (const size of [1, 2, 3, 4, 64]) {
      const d = await decode(chunks(literal, size), "f");
      expect(await text(d.chunks)).toBe("a\uFFFDb\uFFFD\uFFFD\n");
      expect(d.state.invalidBytes, `chunks of ${size}`).toBe(false);
    }
    // Beside a literal one, an invalid byte or a sequence cut off at the end still counts.
    for (const bytes of [
      [0xef, 0xbf, 0xbd, 0xff, 0x0a],
      [0x61, 0xef, 0xbf, 0xbd, 0xe2, 0x82],
    ]) {
      for (const size of [1, 2, 64]) {
        const d = await decode(chunks(Buffer.from(bytes), size), "f");
        await text(d.chunks);
        expect(d.state.invalidBytes, `${bytes} in chunks of ${size}`).toBe(true);
      }
    }
  });

  it("rejects an unknown forced encoding with a clear error", async () => {
    const err = await decode(chunks(Buffer.from("a"), 1), "f", { encoding: "klingon" }).catch(
      (e: unknown) => e,
    );
    expect((err as FeedpipeError).code).toBe("FEED_ENCODING_UNSUPPORTED");
  });
});

describe("format sniffing", () => {
  it("tells formats apart from content", () => {
    expect(sniffFormat("sku,name\nA,B\n")).toMatchObject({ format: "csv", delimiter: "," });
    expect(sniffFormat("id\ttitle\tprice\n1\tx\t2\n")).toMatchObject({ format: "csv", delimiter: "\t" });
    expect(sniffFormat('"a;b";c;d\n')).toMatchObject({ format: "csv", delimiter: ";" });
    expect(sniffFormat('<?xml version="1.0"?><rss xmlns:g="x"><channel><item>')).toMatchObject({
      format: "xml",
      recordTag: "item",
    });
    expect(sniffFormat('<feed xmlns="http://www.w3.org/2005/Atom"><entry>')).toMatchObject({
      recordTag: "entry",
    });
    expect(sniffFormat("<catalog><products><product id='1'>")).toMatchObject({ recordTag: "product" });
    expect(sniffFormat('[{"sku":"A"}]')).toMatchObject({ format: "json", jsonPath: "" });
    expect(sniffFormat('{"sku":"A"}\n{"sku":"B"}\n')).toMatchObject({ format: "ndjson" });
    expect(sniffFormat('{\n "kind": "x",\n "items": [\n  {"id": 1}')).toMatchObject({
      format: "json",
      jsonPath: "items",
    });
  });

  it("a one-line catalog keyed by id is a JSON document, not one NDJSON record", () => {
    const keyed = '{"products":{"a":{"sku":"O1","name":"One"},"b":{"sku":"O2","name":"Two"}}}';
    expect(sniffFormat(keyed)).toMatchObject({ format: "json", jsonPath: "products" });
    expect(sniffFormat(keyed + "\n")).toMatchObject({ format: "json", jsonPath: "products" });
    // One product with nested objects, or with a single keyed member, stays one NDJSON record.
    expect(sniffFormat('{"sku":"A","attrs":{"x":{"y":1},"z":{"y":2}}}')).toMatchObject({ format: "ndjson" });
    expect(sniffFormat('{"product":{"a":{"sku":"O1"}}}')).toMatchObject({ format: "ndjson" });
  });

  it("finds nested JSON arrays of objects and skips arrays of scalars", () => {
    expect(sniffJsonArrayPath('{"meta":{"tags":["a","b"]},"data":{"products":[{"sku":1}]}}')).toBe(
      "data.products",
    );
    expect(sniffJsonArrayPath('{"a":"[{not json"}')).toBeUndefined();
    expect(sniffDelimiter("a|b|c\n")).toBe("|");
    expect(sniffRecordTag("<root><x/></root>")).toBeUndefined();
  });
});

describe("configuration", () => {
  it("reads env over a config file, and lists secrets for redaction", () => {
    const dir = mkdtempSync(join(tmpdir(), "fp-cfg-"));
    writeFileSync(
      join(dir, "feedpipe.config.json"),
      JSON.stringify({
        partnerboost: { brandId: 7, token: "file-token", secret: "file-secret" },
        partnerize: { apiUrl: "http://127.0.0.1:1" },
      }),
    );
    const c = loadConfig({ env: { PARTNERBOOST_TOKEN: "env-token" }, cwd: dir });
    expect(c.partnerboost).toMatchObject({
      brandId: "7",
      token: "env-token",
      secret: "file-secret",
      productAction: "datafeed/new",
    });
    expect(c.partnerize.apiUrl).toBe("http://127.0.0.1:1");
    expect(c.secrets).toEqual(expect.arrayContaining(["env-token", "file-secret"]));
  });

  it("names missing variables, never values, and rejects unknown config keys", () => {
    expect(() =>
      requireSettings("push", { PARTNERBOOST_TOKEN: undefined, PARTNERBOOST_SECRET: "s3cr3t" }),
    ).toThrow(/PARTNERBOOST_TOKEN/);
    const dir = mkdtempSync(join(tmpdir(), "fp-cfg-"));
    writeFileSync(join(dir, "c.json"), JSON.stringify({ partnerboost: { tokn: "x" } }));
    expect(() => loadConfig({ env: {}, cwd: dir, configPath: "c.json" })).toThrow(/c\.json/);
  });

  it("a config file that is not JSON is reported by place, never by its text (it holds secrets)", () => {
    const dir = mkdtempSync(join(tmpdir(), "fp-cfg-"));
    writeFileSync(join(dir, "a.json"), '{"partnerboost":{"token":tok_SUPERSECRET_abc}}');
    const unquoted = (() => {
      try {
        loadConfig({ env: {}, cwd: dir, configPath: "a.json" });
      } catch (err) {
        return (err as Error).message;
      }
      return "";
    })();
    expect(unquoted).toMatch(/a\.json is not valid JSON/);
    expect(unquoted).not.toMatch(/tok|SUPERSECRET|'o'/);
    writeFileSync(join(dir, "b.json"), '{\n "partnerboost": {"token": "s3cr3t-value",}\n}');
    expect(() => loadConfig({ env: {}, cwd: dir, configPath: "b.json" })).toThrow(
      /b\.json is not valid JSON at line 2, column \d+: Expected double-quoted property name \(its text is not shown/,
    );
  });
});

describe("early sniffing", () => {
  it("decides as soon as the head shows the format", async () => {
    const { sniffIsDecided } = await import("../src/formats/sniff.js");
    expect(sniffIsDecided("sku,name\n")).toBe(true);
    expect(sniffIsDecided('"a\nb",c')).toBe(false);
    expect(sniffIsDecided('<?xml version="1.0"?><rss><channel><item>')).toBe(true);
    expect(sniffIsDecided('<?xml version="1.0"?><rss><channel>')).toBe(false);
    expect(sniffIsDecided("[")).toBe(true);
    expect(sniffIsDecided('{"items": [ {')).toBe(true);
    expect(sniffIsDecided('{"a":1}')).toBe(false);
  });

  it("starts reading a slow source before the sniffing window fills", async () => {
    const { openFeed } = await import("../src/formats/index.js");
    const { PassThrough } = await import("node:stream");
    const stdin = new PassThrough();
    stdin.write("sku,name\nA,Alpha\n");
    const feed = await openFeed("-", { stdin });
    expect(feed.format).toBe("csv");
    const it = feed.records[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value?.[0]?.fields).toEqual({ sku: "A", name: "Alpha" });
    stdin.end("B,Beta\n");
    const rest = await it.next();
    expect(rest.value?.[0]?.fields).toEqual({ sku: "B", name: "Beta" });
  });
});
