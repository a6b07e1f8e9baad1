/**
 * Hostile servers: hand-made servers on 127.0.0.1 speaking the networks' APIs, trying to make
 * feedpipe read local files, send credentials to another host, or leak secrets in what it prints.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireRemoteUrl } from "../src/io/remote.js";
import { codeOf } from "./helpers/errors.js";
import { runCli } from "./helpers/cli.js";
import { json, startServer } from "./helpers/servers.js";

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
