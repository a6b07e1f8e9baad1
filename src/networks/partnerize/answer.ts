/**
 * How every Partnerize answer is read (the client's part of the one HTTP path, ../http-client.ts):
 *
 * - 2xx with a JSON body: the body, unless it is an error envelope (NET_API_ERROR).
 * - 2xx with an empty or non-JSON body: NET_BAD_RESPONSE.
 * - 401/403: NET_AUTH_FAILED, naming the settings to check.
 * - 429, 408, 5xx: the shared status errors (429 → NET_RATE_LIMITED for the rate controller,
 *   408/5xx retryable), with the error envelope's message and fields in their context.
 * - 400/409/422: NET_BAD_REQUEST; any other status NET_API_ERROR. Neither is retried.
 *
 * Error bodies `{"error":{"message","type"}}` (and the v2/v3 shapes) become the error's message.
 * Server text is redacted (`clean`) before it is cut, so no part of a secret is ever quoted.
 */
import { NetworkError, redactUrl } from "../../core/errors.js";
import { statusError } from "../../io/http.js";
import type { HttpAnswer } from "../http-client.js";
import { readErrorBody } from "./envelope.js";

/** Redact the client's secrets from server text, then cut it to a message's length. */
export type Clean = (text: string) => string;

export function badResponse(method: string, url: string, why: string): NetworkError {
  const shown = redactUrl(url);
  return new NetworkError("NET_BAD_RESPONSE", `Partnerize ${method} ${shown}: unexpected response (${why})`, {
    context: { url: shown },
  });
}

/** The JSON of a successful answer, or the coded error of any other. */
export function readPartnerizeAnswer(answer: HttpAnswer, method: string, clean: Clean): unknown {
  const { status, json, text, url } = answer;
  if (status < 200 || status >= 300) throw statusFailure(answer, method, clean);
  if (json === undefined) {
    throw badResponse(method, url, text.trim() === "" ? "empty body" : "the body is not JSON");
  }
  const apiError = readErrorBody(json);
  if (apiError) {
    throw new NetworkError(
      "NET_API_ERROR",
      `Partnerize ${method} ${redactUrl(url)} failed: ${clean(apiError.message)}`,
      { context: { url: redactUrl(url), status, apiType: apiError.type } },
    );
  }
  return json;
}

function statusFailure(answer: HttpAnswer, method: string, clean: Clean): NetworkError {
  const { status, url } = answer;
  const shown = redactUrl(url);
  const body = readErrorBody(answer.json);
  const said = clean(body?.message ?? answer.text);
  const context = { url: shown, status, apiType: body?.type, fields: body?.fields };
  if (status === 401 || status === 403) {
    return new NetworkError(
      "NET_AUTH_FAILED",
      `Partnerize refused ${method} ${shown} (HTTP ${status}${said ? `: ${said}` : ""}). ` +
        "Check PARTNERIZE_APPLICATION_KEY and PARTNERIZE_USER_API_KEY and the user's access to this campaign or partner.",
      { context },
    );
  }
  if (status === 429 || status === 408 || status >= 500) {
    const err = statusError(url, status, answer.headers, said);
    Object.assign(err.context, context);
    return err;
  }
  const code = status === 400 || status === 409 || status === 422 ? "NET_BAD_REQUEST" : "NET_API_ERROR";
  const fields = body?.fields ? ` (fields: ${body.fields.join(", ")})` : "";
  return new NetworkError(
    code,
    `Partnerize ${method} ${shown} failed with HTTP ${status}${said ? `: ${said}` : ""}${fields}`,
    { context },
  );
}
