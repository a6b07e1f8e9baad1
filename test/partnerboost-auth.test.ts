import { describe, expect, it } from "vitest";
import { NetworkError } from "../src/core/errors.js";
import { authHash, authHeaders, rfc1123 } from "../src/networks/partnerboost/auth.js";
import { codeError, parseEnvelope, readStatus } from "../src/networks/partnerboost/envelope.js";

const URL_ = "https://app.partnerboost.com/api/brand?token=abc";

function thrown(fn: () => unknown): NetworkError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(NetworkError);
    return err as NetworkError;
  }
  throw new Error("expected a NetworkError");
}

describe("PartnerBoost auth hash", () => {
  it("matches the published test vector", () => {
    expect(
      authHash(
        "a25fb1225425ae360ec2922286e7bd01",
        "order/new",
        "Fri, 07 Jan 2022 07:21:16 GMT",
        "65906f8ecdaf1147bca07dbebf9d29656317a2913783b6ac6f08c6d5713dca5c",
      ),
    ).toBe("c0603ea2f4bd66eaac5e6fbbd2093ea6426d7e13e0a8cc4f5550368f55f7e64a");
  });

  it("formats the date header as RFC 1123 UTC", () => {
    expect(rfc1123(new Date(Date.UTC(2022, 0, 7, 7, 21, 16)))).toBe("Fri, 07 Jan 2022 07:21:16 GMT");
  });

  it("builds the headers from the published example", () => {
    const h = authHeaders(
      "a25fb1225425ae360ec2922286e7bd01",
      "order/new",
      "65906f8ecdaf1147bca07dbebf9d29656317a2913783b6ac6f08c6d5713dca5c",
      new Date("2022-01-07T07:21:16Z"),
    );
    expect(h).toEqual({
      "content-type": "application/json",
      "x-partnerboost-date": "Fri, 07 Jan 2022 07:21:16 GMT",
      "x-partnerboost-authentication": "c0603ea2f4bd66eaac5e6fbbd2093ea6426d7e13e0a8cc4f5550368f55f7e64a",
    });
  });
});

describe("PartnerBoost envelope", () => {
  it("returns data from the nested and the flat envelope, codes as numbers or strings", () => {
    expect(parseEnvelope('{"status":{"code":0,"msg":"success"},"data":{"total":"9"}}', URL_)).toEqual({
      total: "9",
    });
    expect(parseEnvelope({ status: { code: "0", msg: "success" }, data: [1] }, URL_)).toEqual([1]);
    expect(parseEnvelope('{"code":0,"message":"ok","data":{"id":3}}', URL_)).toEqual({ id: 3 });
    expect(parseEnvelope({ code: "0", message: "ok" }, URL_)).toBeUndefined();
    expect(readStatus({ status: { code: "1002", msg: "x" } })).toEqual({ code: 1002, message: "x" });
  });

  it("maps result codes to coded errors", () => {
    const cases: [number, string, boolean][] = [
      [1000, "NET_AUTH_FAILED", false],
      [1001, "NET_AUTH_FAILED", false],
      [1002, "NET_RATE_LIMITED", true],
      [1003, "NET_BAD_REQUEST", false],
      [1004, "NET_BAD_REQUEST", false],
      [1005, "NET_BAD_REQUEST", false],
      [2001, "NET_API_ERROR", false],
    ];
    for (const [code, expected, retryable] of cases) {
      const e = thrown(() => parseEnvelope({ status: { code: String(code), msg: "Something said" } }, URL_));
      expect(e.code).toBe(expected);
      expect(e.retryable).toBe(retryable);
      expect(e.context.apiCode).toBe(code);
      expect(e.message).not.toContain("token=abc");
    }
    const bad = thrown(() =>
      parseEnvelope({ code: 1003, message: "Missing required parameter: price" }, URL_),
    );
    expect(bad.message).toContain("Missing required parameter: price");
    expect(codeError(1002, "slow down", URL_, 1500).retryAfterMs).toBe(1500);
  });

  it("refuses bodies that are not JSON or have no result code", () => {
    const html = thrown(() => parseEnvelope("<html><body>Bad gateway</body></html>", URL_));
    expect(html.code).toBe("NET_BAD_RESPONSE");
    expect(html.message).toContain("not JSON");
    expect(thrown(() => parseEnvelope('{"data":[]}', URL_)).code).toBe("NET_BAD_RESPONSE");
    expect(thrown(() => parseEnvelope("[1,2]", URL_)).code).toBe("NET_BAD_RESPONSE");
  });
});
