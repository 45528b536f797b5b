// HTTP helpers for uWS handlers: status lines, JSON answers with CORS, coded errors, replies after an await, query parsing.
import type { HttpRequest, HttpResponse } from "uWebSockets.js";
import { campaignRule, isCampaignName } from "../core/campaign.js";
import { errorBody } from "../core/errors.js";
import { statusLine } from "../core/uws-http.js";
import { queryParam } from "../core/uws-request.js";

export type Headers = Readonly<Record<string, string>>;

/** Writes a complete JSON answer. The public API is read-only and credential-free, so any origin may read it. */
export function writeJson(res: HttpResponse, status: number, body: string | Uint8Array, headers: Headers = {}): void {
  res.writeStatus(statusLine(status));
  res.writeHeader("Content-Type", "application/json");
  res.writeHeader("Access-Control-Allow-Origin", "*");
  for (const [name, value] of Object.entries(headers)) res.writeHeader(name, value);
  res.end(body);
}

/** Every error answer has the same shape: {"error":{"code","message"}}. */
export function writeError(res: HttpResponse, status: number, code: string, message: string, headers: Headers = {}): void {
  writeJson(res, status, errorBody(code, message), { "Cache-Control": "no-store", ...headers });
}

/**
 * Answers once `work` settles. onAborted is registered here, before the caller's first await, and the
 * answer is corked (one syscall). A client that went away in the meantime is skipped.
 */
export function replyLater<T>(
  res: HttpResponse,
  work: Promise<T>,
  reply: (value: T) => void,
  fail: (err: unknown) => void = () =>
    writeError(res, 503, "UNAVAILABLE", "the snapshot store is unreachable; retry shortly", { "Retry-After": "1" }),
): void {
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  const answer = (write: () => void) => {
    if (aborted) return;
    res.cork(() => {
      try {
        write();
      } catch {
        // The response was already ended or the socket closed under us: nothing left to answer.
      }
    });
  };
  work.then(
    (value) => answer(() => reply(value)),
    (err: unknown) => answer(() => fail(err)),
  );
}

export type CampaignParam = { readonly ok: true; readonly campaign: string } | { readonly ok: false; readonly message: string };

/** Reads ?campaign= (default: the configured campaign). */
export function campaignParam(req: HttpRequest, defaultCampaign: string): CampaignParam {
  // uWS returns undefined for a missing key, although its typings say string.
  const value = queryParam(req, "campaign");
  if (value === undefined || value === "") return { ok: true, campaign: defaultCampaign };
  if (!isCampaignName(value)) return { ok: false, message: `campaign ${campaignRule}` };
  return { ok: true, campaign: value };
}

/** If-None-Match against a strong ETag: a list of tags, weak forms, or "*". */
export function etagMatches(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch === "") return false;
  return ifNoneMatch.split(",").some((raw) => {
    const tag = raw.trim();
    return tag === "*" || tag === etag || tag === `W/${etag}`;
  });
}
