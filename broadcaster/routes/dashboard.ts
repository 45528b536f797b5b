// GET /dashboard: the marketer dashboard behind DASHBOARD_TOKEN, with a sign-in form (POST /dashboard/sign-in sets an
// HttpOnly session cookie, so the token never travels in a URL) and POST /dashboard/sign-out. The viewer page stays public.

import type { HttpRequest, HttpResponse, TemplatedApp } from "uWebSockets.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BodyTooLargeError, readBody, statusLine } from "../../core/uws-http.js";
import { endEmpty } from "../../core/uws-request.js";
import type { BroadcasterContext } from "../context.js";
import { servedOverHttps } from "../dashboard-auth.js";
import { writeError } from "../http.js";
import { fillTemplate, getAndHead, pageAssets, staleAfterMs } from "./pages.js";
import { loadPublic, publicDir, writeAsset } from "./pages-assets.js";

/** A form with one token field: anything larger is not ours. */
const maxSignInBytes = 4096;

const escapeHtml = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll('"', "&quot;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

/** Browsers (Accept: text/html) get the sign-in form; API clients get the JSON error. */
function wantsHtml(req: HttpRequest): boolean {
  return req.getHeader("accept").includes("text/html");
}

export function register(app: TemplatedApp, ctx: BroadcasterContext): void {
  const { config, auth } = ctx;
  const settings = escapeHtml(
    JSON.stringify({
      campaign: config.campaign,
      goal: config.goal?.toString() ?? null,
      milestoneStep: config.milestoneStep?.toString() ?? null,
      previousCampaign: config.previousCampaign ?? null,
      campaignStart: config.campaignStart ?? null,
      campaignEnd: config.campaignEnd ?? null,
      timeZone: config.timeZone,
      channelLabels: config.channelLabels,
      categoryLabels: config.categoryLabels,
      staleAfterMs: staleAfterMs(config.heartbeatMs),
    }),
  );
  const page = loadPublic("dashboard.html", (text) => fillTemplate(text, pageAssets(ctx), { SETTINGS: settings }));
  const signInTemplate = readFileSync(join(publicDir, "sign-in.html"), "utf8");

  const writeSignIn = (res: HttpResponse, status: number, error: string): void => {
    res.cork(() => {
      res.writeStatus(statusLine(status));
      res.writeHeader("Content-Type", "text/html; charset=utf-8");
      res.writeHeader("Cache-Control", "no-store");
      res.writeHeader("X-Content-Type-Options", "nosniff");
      // RFC 9110 §15.5.2: a 401 names an authentication scheme; Bearer makes no browser prompt.
      if (status === 401) res.writeHeader("WWW-Authenticate", 'Bearer realm="dashboard"');
      res.end(signInTemplate.replace("{{ERROR}}", escapeHtml(error)));
    });
  };

  const redirect = (res: HttpResponse, cookie: string): void => {
    res.cork(() => {
      res.writeStatus("303 See Other");
      res.writeHeader("Location", "/dashboard");
      res.writeHeader("Set-Cookie", cookie);
      res.writeHeader("Cache-Control", "no-store");
      res.end();
    });
  };

  const disabled = (res: HttpResponse) =>
    writeError(res, 403, "DASHBOARD_DISABLED", "the dashboard is off: set DASHBOARD_TOKEN to turn it on");

  getAndHead(app, "/dashboard", (res, req, request) => {
    if (!auth.enabled) return disabled(res);
    if (!auth.allows(req)) {
      // uWS's end() would send a body to a HEAD too: a refused HEAD is the status alone.
      if (request.head) return void res.cork(() => endEmpty(res.writeStatus("401 Unauthorized").writeHeader("Content-Length", "0")));
      if (wantsHtml(req)) return writeSignIn(res, 401, "");
      return writeError(res, 401, "UNAUTHORIZED", "the dashboard needs its token: sign in at /dashboard, or send Authorization: Bearer", {
        "WWW-Authenticate": 'Bearer realm="dashboard"',
      });
    }
    writeAsset(res, page, request, { "Cache-Control": "private, no-cache" });
  });

  app.post("/dashboard/sign-in", (res, req) => {
    if (!auth.enabled) return disabled(res);
    const secure = servedOverHttps(req);
    const html = wantsHtml(req);
    const reader = readBody(res, maxSignInBytes, req.getHeader("content-length"));
    reader.body.then(
      (body) => {
        if (reader.aborted()) return;
        const token = new URLSearchParams(body.toString("utf8")).get("token") ?? "";
        if (auth.isToken(token)) return redirect(res, auth.sessionCookie(secure));
        if (html) return writeSignIn(res, 401, "토큰이 올바르지 않습니다 (wrong token)");
        res.cork(() => writeError(res, 401, "INVALID_TOKEN", "token: not the dashboard token"));
      },
      (err: unknown) => {
        if (reader.aborted()) return;
        if (err instanceof BodyTooLargeError)
          res.cork(() => writeError(res, 413, "PAYLOAD_TOO_LARGE", `the sign-in form is at most ${maxSignInBytes} bytes`));
      },
    );
  });

  app.post("/dashboard/sign-out", (res, req) => {
    if (!auth.enabled) return disabled(res);
    redirect(res, auth.clearedCookie(servedOverHttps(req)));
  });
}
