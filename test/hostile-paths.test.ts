/**
 * Hostile (or careless) output paths: devices, FIFOs, symlinks and two names for one file. The
 * harm to rule out: a device node, FIFO or link replaced by a rename, a full device reported as
 * success, a user's input or output overwritten by another output of the same run.
 */
import { execFileSync } from "node:child_process";
import { createReadStream, existsSync } from "node:fs";
import {
  copyFile,
  link,
  lstat,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FeedpipeError } from "../src/core/errors.js";
import { openRejects } from "../src/jobs/rejects.js";
import { codeOf } from "./helpers/errors.js";
import { openOutput } from "../src/io/output.js";
import { sameOutputFile } from "../src/io/output-target.js";
import { runCli } from "./helpers/cli.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "feedpipe-hostile-paths-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const hasDevFull = existsSync("/dev/full");
const hasMkfifo = (() => {
  try {
    execFileSync("mkfifo", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/** Read everything a FIFO receives until its writer closes it. */
function drainFifo(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    createReadStream(path, "utf8")
      .on("data", (c) => {
        text += String(c);
      })
      .on("end", () => resolve(text))
      .on("error", reject);
  });
}

describe("output to special files", () => {
  it("/dev/null is written in place: the device node is still a character device afterwards", async () => {
    const before = await stat("/dev/null");
    const out = await openOutput("/dev/null");
    await out.write("sku,name\nA,B\n");
    await out.commit();
    const after = await lstat("/dev/null");
    expect(after.isCharacterDevice()).toBe(true);
    expect(after.ino).toBe(before.ino);
    expect(after.rdev).toBe(before.rdev);
    // no temporary file was created beside it
    expect((await readdir("/dev")).filter((n) => n.startsWith(".null."))).toEqual([]);
  });

  it.skipIf(!hasDevFull)(
    "/dev/full reports no space left (IO_WRITE, ENOSPC) instead of success",
    async () => {
      const out = await openOutput("/dev/full");
      await out.write("x".repeat(10));
      let err: unknown;
      try {
        await out.commit();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FeedpipeError);
      expect((err as FeedpipeError).code).toBe("IO_WRITE");
      expect((err as FeedpipeError).message).toMatch(/no space left on device/);
      expect((await lstat("/dev/full")).isCharacterDevice()).toBe(true);
    },
  );

  it.skipIf(!hasDevFull)("convert -o /dev/full: exit 2 with a clear error", async () => {
    const r = await runCli(["convert", "samples/catalog.csv", "-o", "/dev/full", "--to", "csv"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/IO_WRITE.*\/dev\/full.*no space left on device/);
  });

  it("convert -o /dev/null: exit by the data (1: the sample has invalid rows), device kept", async () => {
    const r = await runCli(["convert", "samples/catalog.csv", "-o", "/dev/null", "--to", "csv"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/24 products written to \/dev\/null/);
    expect((await lstat("/dev/null")).isCharacterDevice()).toBe(true);
  });

  it.skipIf(!hasMkfifo)("a FIFO as output is streamed into, and is still a FIFO afterwards", async () => {
    const fifo = join(dir, "out.fifo");
    execFileSync("mkfifo", [fifo]);
    const received = drainFifo(fifo);
    const out = await openOutput(fifo);
    await out.write("sku,name\n");
    await out.writeLines(["A,1\n", "B,2\n"]);
    await out.commit();
    expect(await received).toBe("sku,name\nA,1\nB,2\n");
    expect((await lstat(fifo)).isFIFO()).toBe(true);
    expect(await readdir(dir)).toEqual(["out.fifo"]);
  });

  it.skipIf(!hasMkfifo)(
    "a rejects file over a FIFO: the rejects go through the FIFO, which stays",
    async () => {
      const fifo = join(dir, "rejects.fifo");
      execFileSync("mkfifo", [fifo]);
      const received = drainFifo(fifo);
      const r = await runCli(["validate", "samples/catalog.csv", "--rejects", fifo]);
      expect(r.code).toBe(1);
      const lines = (await received).trimEnd().split("\n");
      expect(lines).toHaveLength(7);
      expect(JSON.parse(lines[0]!)).toHaveProperty("issues");
      expect((await lstat(fifo)).isFIFO()).toBe(true);
      expect(await readdir(dir)).toEqual(["rejects.fifo"]);
    },
  );

  it("a directory, and a dangling symlink, are refused before anything is written", async () => {
    expect(await codeOf(openOutput(dir))).toBe("IO_WRITE");
    const dangling = join(dir, "dangling.csv");
    await symlink(join(dir, "nowhere", "x.csv"), dangling);
    expect(await codeOf(openOutput(dangling))).toBe("IO_WRITE");
    expect(await readdir(dir)).toEqual(["dangling.csv"]);
    expect(existsSync(join(dir, "nowhere"))).toBe(false);
  });
});

describe("output through a symlink", () => {
  it("writes the link's target atomically; the link stays a link", async () => {
    const realDir = join(dir, "real");
    await (await import("node:fs/promises")).mkdir(realDir);
    const target = join(realDir, "products.csv");
    await writeFile(target, "old\n");
    const linkPath = join(dir, "link.csv");
    await symlink(relative(dir, target), linkPath);
    const out = await openOutput(linkPath);
    await out.write("new\n");
    await out.commit();
    expect((await lstat(linkPath)).isSymbolicLink()).toBe(true);
    expect(await readlink(linkPath)).toBe(relative(dir, target));
    expect(await readFile(target, "utf8")).toBe("new\n");
    expect((await readdir(dir)).sort()).toEqual(["link.csv", "real"]);
    expect(await readdir(realDir)).toEqual(["products.csv"]);
  });

  it("a symlink to /dev/null writes to the device, never replacing it", async () => {
    const linkPath = join(dir, "null.csv");
    await symlink("/dev/null", linkPath);
    const rejects = await openRejects(linkPath);
    await rejects.commit();
    expect((await lstat(linkPath)).isSymbolicLink()).toBe(true);
    expect((await lstat("/dev/null")).isCharacterDevice()).toBe(true);
  });
});

describe("two names for one file", () => {
  it("sameOutputFile: ./x vs x, a symlink, a hard link are one file; /dev/null twice and - are not", async () => {
    const a = join(dir, "a.csv");
    await writeFile(a, "x\n");
    await symlink(a, join(dir, "sym.csv"));
    await link(a, join(dir, "hard.csv"));
    expect(await sameOutputFile("./a.csv", "a.csv", dir)).toBe(true);
    expect(await sameOutputFile("a.csv", "sym.csv", dir)).toBe(true);
    expect(await sameOutputFile("a.csv", "hard.csv", dir)).toBe(true);
    expect(await sameOutputFile("new.csv", "./sub/../new.csv", dir)).toBe(true);
    expect(await sameOutputFile("a.csv", "b.csv", dir)).toBe(false);
    expect(await sameOutputFile("/dev/null", "/dev/null", dir)).toBe(false);
    expect(await sameOutputFile("-", "-", dir)).toBe(false);
    expect(await sameOutputFile("https://x.example/a.csv", "a.csv", dir)).toBe(false);
  });

  it("convert -o out.csv --rejects ./out.csv is refused (exit 2), nothing written", async () => {
    const r = await runCli(["convert", "samples/catalog.csv", "-o", "out.csv", "--rejects", "./out.csv"], {
      cwd: dir,
    });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/USAGE.*--output and --rejects name the same file/);
    expect(await readdir(dir)).toEqual([]);
  });

  it("validate mine.csv --rejects mine.csv keeps the user's catalog (exit 2)", async () => {
    const mine = join(dir, "mine.csv");
    await copyFile("samples/catalog.csv", mine);
    const before = await readFile(mine, "utf8");
    const r = await runCli(["validate", mine, "--rejects", join(dir, ".", "mine.csv")]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/USAGE.*the source and --rejects name the same file/);
    expect(await readFile(mine, "utf8")).toBe(before);
  });

  it("convert in.csv -o in.csv (and through a symlink or a hard link) is refused, the source kept", async () => {
    const input = join(dir, "in.csv");
    await copyFile("samples/catalog.csv", input);
    const before = await readFile(input, "utf8");
    await symlink(input, join(dir, "alias.csv"));
    await link(input, join(dir, "hard.csv"));
    for (const o of [input, join(dir, "alias.csv"), join(dir, "hard.csv")]) {
      const r = await runCli(["convert", input, "-o", o]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/USAGE.*the source and --output name the same file/);
    }
    expect(await readFile(input, "utf8")).toBe(before);
    expect((await readdir(dir)).sort()).toEqual(["alias.csv", "hard.csv", "in.csv"]);
  });

  it("--html naming the source, -o or a diffed feed is refused (exit 2), every file kept", async () => {
    const input = join(dir, "in.csv");
    const other = join(dir, "other.csv");
    await copyFile("samples/catalog.csv", input);
    await copyFile("samples/catalog.csv", other);
    const before = await readFile(input, "utf8");
    await symlink(input, join(dir, "alias.csv"));
    const cases: [string[], RegExp][] = [
      [["validate", input, "--html", join(dir, "alias.csv")], /the source and --html name the same file/],
      [["push", input, "--dry-run", "--html", input], /the source and --html name the same file/],
      [["convert", other, "-o", input, "--html", input], /--output and --html name the same file/],
      [["diff", input, other, "-o", input], /the old feed and --output name the same file/],
      [
        ["diff", other, input, "--html", join(dir, "alias.csv")],
        /the new feed and --html name the same file/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.err).toMatch(message);
    }
    expect(await readFile(input, "utf8")).toBe(before);
    expect(await readFile(other, "utf8")).toBe(before);
    expect((await readdir(dir)).sort()).toEqual(["alias.csv", "in.csv", "other.csv"]);
  });

  it("an --html page in a folder that is not there fails before anything is written (exit 2)", async () => {
    const r = await runCli(
      [
        "convert",
        join(process.cwd(), "samples/catalog.csv"),
        "-o",
        "out.csv",
        "--html",
        join("nodir", "page.html"),
      ],
      { cwd: dir },
    );
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/IO_WRITE.*nodir.*does not exist/);
    expect(r.err).not.toMatch(/nothing was written to out\.csv/);
    expect(await readdir(dir)).toEqual([]);
  });
});
