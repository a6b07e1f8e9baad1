/**
 * Hostile servers: hand-made servers on 127.0.0.1 speaking the networks' APIs, trying to make
 * feedpipe read local files, send credentials to another host, or leak secrets in what it prints.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Product } from "../schemas/product.js";
import { cutText, FeedpipeError, redactSecrets } from "../src/core/errors.js";
import { MAX_REDIRECTS } from "../src/io/redirects.js";
import { requireRemoteUrl } from "../src/io/remote.js";
import { openSource } from "../src/io/source.js";
import { createBrandClient } from "../src/networks/partnerboost/brand.js";
import { createPublisherClient } from "../src/networks/partnerboost/publisher.js";
import { createPartnerizeClient } from "../src/networks/partnerize/client.js";
import { terminalSafe } from "../src/cli/terminal.js";
import { codeOf } from "./helpers/errors.js";
import { runCli } from "./helpers/cli.js";
import { fragments, json, startServer } from "./helpers/servers.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "feedpipe-hostile-servers-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const PZ_APP = "hostile-app-key-9f8e7d6c";
const PZ_USER = "hostile-user-key-5b4a3928";
const pzEnv = (origin: string) => ({
  PARTNERIZE_APPLICATION_KEY: PZ_APP,
  PARTNERIZE_USER_API_KEY: PZ_USER,
  PARTNERIZE_API_URL: origin,
});

const PRODUCT = {
  sku: "H-1",
  name: "Hostile Test",
  url: "https://shop.example/h1",
  image: "https://shop.example/h1.jpg",
  price: 10,
  currency: "EUR",
} as unknown as Product;

const GOOD_CSV =
  "sku,name,url,image,price,currency,brand\n" +
  "G-1,Good Thing,https://shop.example/g1,https://shop.example/g1.jpg,10.00,EUR,Acme\n";

describe("server-supplied locations are only ever downloaded", () => {
  it("requireRemoteUrl accepts http(s) URLs and refuses paths, -, file:, data:, relative refs", async () => {
    expect(requireRemoteUrl("https://cdn.example/f.csv", "feed").hostname).toBe("cdn.example");
    expect(requireRemoteUrl("http://127.0.0.1:9/f.csv", "feed").port).toBe("9");
    for (const bad of [
      "/etc/passwd",
      "-",
      "file:///etc/passwd",
      "/dev/zero",
      "data:text/csv,sku",
      "../private.csv",
      "C:\\feeds\\x.csv",
      "",
      "ftp://x.example/f",
      "https://",
      // Parsed as URLs with a host, but read as relative paths by anything that looks for "://".
      "http:/../../../../etc/passwd",
      "https:secret-notes.csv",
      "HTTP:/etc/passwd",
      "http:\\\\etc\\passwd",
    ]) {
      expect(await codeOf(Promise.resolve().then(() => requireRemoteUrl(bad, "feed")))).toBe(
        "NET_LOCATION_REFUSED",
      );
    }
    // The raw value is never echoed with its control characters.
    expect(() => requireRemoteUrl("/tmp/\u001b[31mred", "feed")).toThrow(/\\u001b\[31mred/);
  });

  it("pull partnerize refuses /etc/passwd, -, file:, /dev/zero and a private CSV; a good feed still exports", async () => {
    const privateCsv = join(dir, "private.csv");
    await writeFile(
      privateCsv,
      "sku,name,url,image,price,currency,brand\nSECRET-ROW,Private Thing,https://p.example/x,https://p.example/x.jpg,1.00,EUR,Mine\n",
    );
    let origin = "";
    const server = await startServer((req, res) => {
      if (req.url.startsWith("/user/publisher/P1/feed")) {
        const feeds = [
          { campaign_feeds_id: "f-passwd", name: "passwd", location: "/etc/passwd" },
          { campaign_feeds_id: "f-stdin", name: "stdin", location: "-" },
          { campaign_feeds_id: "f-file", name: "file", location: "file:///etc/passwd" },
          { campaign_feeds_id: "f-zero", name: "zero", location_compressed: "/dev/zero" },
          { campaign_feeds_id: "f-private", name: "private", location: privateCsv },
          // A hostile compressed location with a good plain one: the good one is used.
          {
            campaign_feeds_id: "f-good",
            name: "good",
            location_compressed: "/dev/zero",
            location: `${origin}/good.csv`,
          },
        ];
        json(res, 200, {
          campaigns: [
            { campaign: { campaign_id: "c1", title: "Camp", feeds: feeds.map((feed) => ({ feed })) } },
          ],
        });
        return;
      }
      if (req.url === "/good.csv") {
        res.writeHead(200, { "content-type": "text/csv" });
        res.end(GOOD_CSV);
        return;
      }
      res.writeHead(404).end();
    });
    origin = server.origin;
    try {
      const out = join(dir, "pulled.csv");
      const r = await runCli(["pull", "partnerize", "--publisher-id", "P1", "-o", out, "--json"], {
        env: pzEnv(server.origin),
        stdin: "sku,name\nSTDIN-ROW,From stdin\n",
      });
      expect(r.code).toBe(1); // some feeds failed, one exported
      const summary = JSON.parse(r.out) as {
        feeds: { feedId: string; status: string; error?: { code: string; message: string } }[];
        exported: number;
      };
      const byId = new Map(summary.feeds.map((f) => [f.feedId, f]));
      for (const id of ["f-passwd", "f-stdin", "f-file", "f-zero", "f-private"]) {
        expect(byId.get(id)?.status).toBe("failed");
        expect(byId.get(id)?.error?.code).toBe("NET_LOCATION_REFUSED");
      }
      expect(byId.get("f-good")?.status).toBe("ok");
      expect(summary.exported).toBe(1);
      const written = await readFile(out, "utf8");
      expect(written).toContain("G-1");
      expect(written).not.toContain("SECRET-ROW");
      expect(written).not.toContain("STDIN-ROW");
      expect(r.out + r.err).not.toMatch(/root:|SECRET-ROW|STDIN-ROW/);
      // Only the listing and the good feed were requested.
      expect(server.received.map((q) => q.url.split("?")[0])).toEqual([
        "/user/publisher/P1/feed",
        "/good.csv",
      ]);
    } finally {
      await server.close();
    }
  });
});

const PB_TOKEN = "pbtoken-0a1b2c3d4e5f6a7b";
const PB_SECRET = "pbsecret-8c9d0e1f2a3b4c5d";

/** A recording server on another port (another origin) and a redirector pointing at it. */
async function redirectPair(status: number) {
  const other = await startServer((_req, res) => {
    json(res, 200, { status: { code: 0, msg: "ok" }, data: { list: [], total: 0 } });
  });
  const first = await startServer((req, res) => {
    res.writeHead(status, { location: `${other.origin}/steal${req.url}` });
    res.end("moved");
  });
  return {
    first,
    other,
    close: async () => {
      await first.close();
      await other.close();
    },
  };
}

function noSecretIn(text: string, secrets: string[]) {
  for (const s of secrets) for (const f of fragments(s)) expect(text).not.toContain(f);
}

describe("cross-origin redirects never carry credentials", () => {
  for (const status of [307, 308]) {
    it(`PartnerBoost brand push (JSON body with token, auth header, bid): ${status} to another host is refused`, async () => {
      const pair = await redirectPair(status);
      try {
        const client = createBrandClient(
          { brandId: "66303", token: PB_TOKEN, secret: PB_SECRET, apiUrl: `${pair.first.origin}/api/brand` },
          { retry: { attempts: 1 } },
        );
        let err: unknown;
        try {
          await client.pushProduct(PRODUCT);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(FeedpipeError);
        expect((err as FeedpipeError).code).toBe("NET_REDIRECT_REFUSED");
        const message = (err as FeedpipeError).message;
        expect(message).toContain(pair.first.origin.replace("http://", ""));
        expect(message).toContain(pair.other.origin.replace("http://", ""));
        expect(pair.first.received).toHaveLength(1);
        expect(pair.other.received).toEqual([]);
        noSecretIn(message + JSON.stringify((err as FeedpipeError).context), [PB_TOKEN, PB_SECRET]);
      } finally {
        await pair.close();
      }
    });

    it(`register partnerboost (CLI): ${status} to another host is refused, exit 2, nothing sent there`, async () => {
      const pair = await redirectPair(status);
      try {
        const r = await runCli(
          [
            "register",
            "partnerboost",
            "--fetch-url",
            "https://shop.example/feed.xml",
            "--fetch-period",
            "DAILY",
          ],
          {
            env: {
              PARTNERBOOST_BRAND_ID: "66303",
              PARTNERBOOST_TOKEN: PB_TOKEN,
              PARTNERBOOST_SECRET: PB_SECRET,
              PARTNERBOOST_BRAND_API_URL: `${pair.first.origin}/api/brand`,
            },
            cwd: dir,
          },
        );
        expect(r.code).toBe(2);
        expect(r.err).toMatch(/NET_REDIRECT_REFUSED/);
        expect(pair.other.received).toEqual([]);
        noSecretIn(r.out + r.err, [PB_TOKEN, PB_SECRET]);
      } finally {
        await pair.close();
      }
    });

    it(`PartnerBoost publisher list (form body with token): ${status} to another host is refused`, async () => {
      const pair = await redirectPair(status);
      try {
        const client = createPublisherClient(
          { token: PB_TOKEN, apiUrl: `${pair.first.origin}/api.php` },
          { retry: { attempts: 1 } },
        );
        expect(await codeOf(client.listPage({}, 1, 10))).toBe("NET_REDIRECT_REFUSED");
        expect(pair.first.received[0]?.body).toContain("token=");
        expect(pair.other.received).toEqual([]);
      } finally {
        await pair.close();
      }
    });

    it(`Partnerize (Basic auth): ${status} to another host is refused`, async () => {
      const pair = await redirectPair(status);
      try {
        const client = createPartnerizeClient({
          applicationKey: PZ_APP,
          userApiKey: PZ_USER,
          apiUrl: pair.first.origin,
          retry: { attempts: 1 },
        });
        expect(await codeOf(client.listPublisherFeeds("P1"))).toBe("NET_REDIRECT_REFUSED");
        expect(pair.first.received[0]?.headers.authorization).toMatch(/^Basic /);
        expect(pair.other.received).toEqual([]);
      } finally {
        await pair.close();
      }
    });
  }

  it("a same-origin 307 on an API call is followed with its body", async () => {
    const server = await startServer((req, res) => {
      if (req.url === "/api/brand") {
        res.writeHead(307, { location: "/api/brand2" }).end();
        return;
      }
      json(res, 200, { status: { code: 0, msg: "ok" }, data: {} });
    });
    try {
      const client = createBrandClient(
        { brandId: "66303", token: PB_TOKEN, secret: PB_SECRET, apiUrl: `${server.origin}/api/brand` },
        { retry: { attempts: 1 } },
      );
      await client.pushProduct(PRODUCT);
      expect(server.received.map((r) => r.url)).toEqual(["/api/brand", "/api/brand2"]);
      expect(server.received[1]!.body).toBe(server.received[0]!.body);
    } finally {
      await server.close();
    }
  });

  it("a feed download may follow a redirect to another host, but without its credentials", async () => {
    const cdn = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/csv" });
      res.end(GOOD_CSV);
    });
    const api = await startServer((_req, res) => {
      res.writeHead(302, { location: `${cdn.origin}/feed.csv?X-Amz-Signature=abc` }).end();
    });
    try {
      const src = await openSource(`${api.origin}/feed/1`, {
        headers: { authorization: "Basic c2VjcmV0LWtleTpzZWNyZXQtdXNlcg==", "x-api-key": "k-123456789" },
      });
      let text = "";
      for await (const c of src.chunks) text += c.toString("utf8");
      expect(text).toBe(GOOD_CSV);
      expect(api.received[0]!.headers.authorization).toMatch(/^Basic /);
      expect(cdn.received).toHaveLength(1);
      expect(cdn.received[0]!.headers.authorization).toBeUndefined();
      expect(cdn.received[0]!.headers["x-api-key"]).toBeUndefined();
    } finally {
      await api.close();
      await cdn.close();
    }
  });

  it("20 redirects end as HTTP_TOO_MANY_REDIRECTS after a bounded number of requests (not 'HTTP 302')", async () => {
    const loop = await startServer((req, res) => {
      const n = Number(req.url.slice(1)) || 0;
      res.writeHead(302, { location: `/${n + 1}` }).end();
    });
    try {
      let err: unknown;
      try {
        await openSource(`${loop.origin}/0`);
      } catch (e) {
        err = e;
      }
      expect((err as FeedpipeError).code).toBe("HTTP_TOO_MANY_REDIRECTS");
      expect((err as FeedpipeError).message).toMatch(/Too many redirects/);
      expect(loop.received.length).toBe(MAX_REDIRECTS + 1);
    } finally {
      await loop.close();
    }
  });

  it("a redirect to a file: URL is refused", async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(302, { location: "file:///etc/passwd" }).end();
    });
    try {
      expect(await codeOf(openSource(`${server.origin}/feed.csv`))).toBe("NET_REDIRECT_REFUSED");
    } finally {
      await server.close();
    }
  });
});

describe("error bodies: redact first, then cut; encoded forms too", () => {
  const TOKEN = "Tk+9/aZ1x&y=Q7pLm3Rw"; // 20 characters, with + / & = to exercise the encodings
  const SECRET = 'Sc"rt\\9f8e7d6c5b4a3';
  const forms = (s: string) => [
    s,
    encodeURIComponent(s),
    new URLSearchParams({ x: s }).toString().slice(2),
    JSON.stringify(s).slice(1, -1),
  ];

  it("secretForms/redactSecrets catch percent-, form-, JSON- and base64-encoded secrets", () => {
    const basic = Buffer.from(`app-key-123:${TOKEN}`).toString("base64");
    for (const text of forms(TOKEN)) {
      const out = redactSecrets(`before ${text} after`, [TOKEN]);
      for (const f of fragments(text)) expect(out).not.toContain(f);
      expect(out).toMatch(/^before .*after$/);
    }
    for (const text of [
      basic,
      Buffer.from(`x${TOKEN}`).toString("base64"),
      Buffer.from(TOKEN).toString("base64"),
    ]) {
      const out = redactSecrets(`before ${text} after`, [TOKEN]);
      expect(out).toContain("***");
      // What is left of the base64, decoded at any alignment, holds no 8-character piece of the token.
      for (const piece of out.slice(7, -6).split("***")) {
        for (const pad of ["", "A", "AA", "AAA"]) {
          const decoded = Buffer.from(pad + piece, "base64").toString("latin1");
          for (const f of fragments(TOKEN)) expect(decoded).not.toContain(f);
        }
      }
    }
    expect(redactSecrets(encodeURIComponent(TOKEN).toLowerCase(), [TOKEN])).not.toContain("Q7pLm3Rw");
  });

  it("cutText never cuts inside a word", () => {
    const text = `${"a ".repeat(145)}${TOKEN} tail`; // the token straddles character 300
    const cut = cutText(text, 300);
    expect(cut.length).toBeLessThanOrEqual(301);
    expect(cut.endsWith("…")).toBe(true);
    for (const f of fragments(TOKEN, 4)) expect(cut).not.toContain(f);
    expect(cutText("short", 300)).toBe("short");
  });

  /** A server that answers every request with an error echoing the request at the 300-char cut. */
  async function echoServer(status: number) {
    return startServer((req, res) => {
      const echo = [req.body, ...Object.values(req.headers).map(String)].join(" ");
      res.writeHead(status, { "content-type": "text/plain" });
      for (let pad = 270; pad <= 300; pad += 5) res.write(`${"p".repeat(pad)}${echo}\n`);
      res.end(`${forms(TOKEN).join(" ")} ${forms(SECRET).join(" ")}`);
    });
  }

  for (const status of [400, 401]) {
    it(`PartnerBoost brand push, HTTP ${status} echoing the request: no 8-char fragment of a secret`, async () => {
      const server = await echoServer(status);
      try {
        const client = createBrandClient(
          { brandId: "66303", token: TOKEN, secret: SECRET, apiUrl: `${server.origin}/api/brand` },
          { retry: { attempts: 1 } },
        );
        let err: FeedpipeError | undefined;
        try {
          await client.pushProduct(PRODUCT);
        } catch (e) {
          err = e as FeedpipeError;
        }
        expect(err).toBeInstanceOf(FeedpipeError);
        noSecretIn(`${err!.message} ${JSON.stringify(err!.context)}`, [TOKEN, SECRET]);
      } finally {
        await server.close();
      }
    });

    it(`PartnerBoost publisher (CLI pull), HTTP ${status} echoing the token form body: no fragment printed`, async () => {
      const server = await echoServer(status);
      try {
        const r = await runCli(["pull", "partnerboost", "-o", join(dir, "pb.csv")], {
          env: {
            PARTNERBOOST_PUBLISHER_TOKEN: TOKEN,
            PARTNERBOOST_PUBLISHER_API_URL: `${server.origin}/api.php`,
          },
          cwd: dir,
        });
        expect(r.code).toBe(2);
        noSecretIn(r.out + r.err, [TOKEN]);
      } finally {
        await server.close();
      }
    });

    it(`Partnerize (CLI feeds), HTTP ${status} echoing the Basic header: no fragment of either key`, async () => {
      const server = await echoServer(status);
      try {
        const r = await runCli(["feeds", "partnerize", "--publisher-id", "P1"], {
          env: {
            PARTNERIZE_APPLICATION_KEY: PZ_APP,
            PARTNERIZE_USER_API_KEY: TOKEN,
            PARTNERIZE_API_URL: server.origin,
          },
          cwd: dir,
        });
        expect(r.code).toBe(2);
        expect(r.err).toMatch(/HTTP|refused|failed/i);
        noSecretIn(r.out + r.err, [PZ_APP, TOKEN]);
      } finally {
        await server.close();
      }
    });
  }
});

describe("per-feed output names", () => {
  it("colliding ids (a-b/c vs a/b-c, a/b vs a_b) and a 300-character id each get their own file", async () => {
    const long = "L".repeat(300);
    const pairs: [string, string][] = [
      ["a-b", "c"],
      ["a", "b-c"],
      ["x/y", "1"],
      ["x_y", "1"],
      ["X_Y", "1"],
      ["c1", long],
    ];
    let origin = "";
    const server = await startServer((req, res) => {
      if (req.url.startsWith("/user/publisher/P1/feed")) {
        json(res, 200, {
          campaigns: pairs.map(([campaign, feed], i) => ({
            campaign: {
              campaign_id: campaign,
              title: `Camp ${i}`,
              feeds: [
                { feed: { campaign_feeds_id: feed, name: `feed ${i}`, location: `${origin}/feed/${i}.csv` } },
              ],
            },
          })),
        });
        return;
      }
      const i = /^\/feed\/(\d+)\.csv$/.exec(req.url)?.[1];
      if (i === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": "text/csv" });
      res.end(GOOD_CSV.replace("G-1", `FEED-${i}`));
    });
    origin = server.origin;
    try {
      const outDir = join(dir, "per-feed");
      const r = await runCli(["pull", "partnerize", "--publisher-id", "P1", "-o", `${outDir}/`, "--json"], {
        env: pzEnv(server.origin),
      });
      expect(r.code).toBe(0);
      const summary = JSON.parse(r.out) as { outputs: string[]; exported: number };
      expect(summary.exported).toBe(pairs.length);
      expect(new Set(summary.outputs.map((o) => o.toLowerCase())).size).toBe(pairs.length);
      const files = await readdir(outDir);
      expect(files).toHaveLength(pairs.length);
      for (const f of files) expect(f.length).toBeLessThanOrEqual(255);
      const contents = await Promise.all(files.map((f) => readFile(join(outDir, f), "utf8")));
      for (let i = 0; i < pairs.length; i++) {
        expect(contents.filter((c) => c.includes(`FEED-${i},`))).toHaveLength(1);
      }
    } finally {
      await server.close();
    }
  });
});

describe("what reaches the terminal", () => {
  it("terminalSafe shows control characters, C1 and bidi overrides as escapes; newlines and tabs stay", () => {
    expect(terminalSafe("a\u001b[2Jb\u0007c\u009bd\u202ee\tf\ng\rh")).toBe(
      "a\\x1b[2Jb\\x07c\\x9bd\\u202ee\tf\ng\\x0dh",
    );
    expect(terminalSafe("plain text, café ☕")).toBe("plain text, café ☕");
  });

  it("a campaign title with escape sequences is printed escaped (feeds partnerize)", async () => {
    const evil = "Camp\u001b]52;c;ZXZpbA==\u0007\u001b[2J\u001b[31mRED";
    const server = await startServer((_req, res) => {
      json(res, 200, {
        campaigns: [
          {
            campaign: {
              campaign_id: "c1",
              title: evil,
              feeds: [
                {
                  feed: {
                    campaign_feeds_id: "f1",
                    name: `feed\u001b[1A`,
                    location: "https://x.example/f.csv",
                  },
                },
              ],
            },
          },
        ],
      });
    });
    try {
      const r = await runCli(["feeds", "partnerize", "--publisher-id", "P1"], { env: pzEnv(server.origin) });
      expect(r.code).toBe(0);
      expect(r.out + r.err).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
      expect(r.out).toContain("Camp\\x1b]52;c;ZXZpbA==\\x07");
    } finally {
      await server.close();
    }
  });

  it("signed-URL parameters are redacted in the rejects file's source and in --json", async () => {
    const signed =
      "/feed.csv?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKIAEXAMPLE1234%2F20261201&X-Amz-Signature=deadbeefcafef00d1234" +
      "&X-Amz-Security-Token=FwoGZXIvYXdzEXAMPLE&sig=azureSASsig0123456&Signature=cfSig0123456789&Key-Pair-Id=APKAEXAMPLE99&page=2";
    const server = await startServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/csv" });
      res.end(
        "sku,name,url,image,price,currency,brand\nBAD-1,No price,https://s.example/b,https://s.example/b.jpg,,EUR,Acme\n",
      );
    });
    try {
      const rejects = join(dir, "signed-rejects.ndjson");
      const r = await runCli([
        "validate",
        `${server.origin}${signed}`,
        "--report",
        "json",
        "--rejects",
        rejects,
      ]);
      expect(r.code).toBe(1);
      const written = await readFile(rejects, "utf8");
      const source = (JSON.parse(written.split("\n")[0]!) as { source: string }).source;
      expect(source).toContain("page=2");
      for (const text of [written, r.out, r.err]) {
        for (const secret of [
          "AKIAEXAMPLE1234",
          "deadbeefcafef00d1234",
          "FwoGZXIvYXdzEXAMPLE",
          "azureSASsig0123456",
          "cfSig0123456789",
          "APKAEXAMPLE99",
        ]) {
          expect(text).not.toContain(secret);
        }
      }
    } finally {
      await server.close();
    }
  });

  it("user:pass@ in a source URL is refused (exit 2), never sent nor printed", async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200).end(GOOD_CSV);
    });
    try {
      const url = server.origin.replace("http://", "http://feeduser:hunter2-secret-pw@");
      const r = await runCli(["validate", `${url}/feed.csv`]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/USAGE.*user name or password/);
      expect(r.out + r.err).not.toContain("hunter2");
      expect(r.out + r.err).not.toContain("feeduser");
      expect(server.received).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("a truncated gzip during convert says nothing was written (and nothing is)", async () => {
    const rows = Array.from({ length: 2000 }, (_, i) =>
      GOOD_CSV.split("\n")[1]!.replace("G-1", `G-${i}`),
    ).join("\n");
    const gz = gzipSync(Buffer.from(`${GOOD_CSV.split("\n")[0]}\n${rows}\n`));
    const file = join(dir, "cut.csv.gz");
    await writeFile(file, gz.subarray(0, gz.length - 40));
    const out = join(dir, "cut-out.csv");
    const r = await runCli(["convert", file, "-o", out]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/FEED_GZIP_TRUNCATED.*nothing was written to/);
    expect(r.err).not.toMatch(/were kept/);
    expect(existsSync(out)).toBe(false);
  });
});

describe("a closed pipe (EPIPE) ends the program quietly", () => {
  const main = join(import.meta.dirname, "..", "dist", "src", "cli", "main.js");
  it.skipIf(!existsSync(main))("push --dry-run | head: no stack trace, exit 0", async () => {
    const big = join(dir, "big.csv");
    const line = GOOD_CSV.split("\n")[1]!;
    await writeFile(
      big,
      `${GOOD_CSV.split("\n")[0]}\n${Array.from({ length: 20_000 }, (_, i) => line.replace("G-1", `G-${i}`)).join("\n")}\n`,
    );
    for (const argv of [["push", big, "--dry-run"], ["--help"]]) {
      const child = spawn(process.execPath, [main, ...argv], { stdio: ["ignore", "pipe", "pipe"], env: {} });
      let err = "";
      child.stderr.on("data", (c: Buffer) => (err += c.toString()));
      child.stdout.once("data", () => child.stdout.destroy());
      const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
      expect(err).not.toMatch(/EPIPE|\n\s+at /);
      expect(code).toBe(0);
    }
  });
});
