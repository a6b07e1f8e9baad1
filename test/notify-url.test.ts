/**
 * A webhook's path is its credential (Slack's `/services/T…/B…/…`): when a notification fails, the
 * error names the webhook's origin only, never its path or query.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { type RunNotice, sendNotice, shownWebhook } from "../src/jobs/notify.js";

const notice: RunNotice = {
  job: "nightly",
  status: "failed",
  exitCode: 2,
  command: "push",
  startedAt: new Date(0).toISOString(),
  finishedAt: new Date(1000).toISOString(),
  durationMs: 1000,
  counts: {},
  host: "ci",
} as RunNotice;

async function failure(url: string): Promise<Error> {
  try {
    await sendNotice({ url, on: "always" }, notice, { secrets: [], retry: { attempts: 1 } });
  } catch (err) {
    return err as Error;
  }
  throw new Error("the notification did not fail");
}

describe("notify failures", () => {
  it("name the webhook's origin, never its path or query (HTTP error and refused connection)", async () => {
    const hook = createServer((_req, res) => res.writeHead(404).end("no such hook"));
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
    const origin = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
    try {
      const url = `${origin}/services/T0001/B0002/SlackHookSecretXyz123?token=hooktok123456`;
      const err = await failure(url);
      expect(err.message).toContain(`${origin}/…`);
      expect(err.message).not.toContain("SlackHookSecretXyz123");
      expect(err.message).not.toContain("hooktok123456");
    } finally {
      hook.close();
    }
    const refused = await failure("http://127.0.0.1:1/services/T0001/B0002/SlackHookSecretXyz123");
    expect(refused.message).not.toContain("SlackHookSecretXyz123");
    expect(shownWebhook("https://hooks.slack.com/services/T/B/x")).toBe("https://hooks.slack.com/…");
  });
});
