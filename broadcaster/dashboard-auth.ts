// Who may read the marketers' data (full snapshot, history, milestones): with DASHBOARD_TOKEN set, a request needs
// `Authorization: Bearer <token>` or the session cookie the dashboard's sign-in form sets; without it, everyone may.

import type { HttpRequest, HttpResponse } from "uWebSockets.js";
import { createHmac, timingSafeEqual } from "node:crypto";
import { writeError } from "./http.js";

export const sessionCookieName = "sc_dashboard";
/** Both sides of a token comparison are MACs under this key: equal lengths, constant-time compare. */
const tokenKey = "sales-counter dashboard token";
/** A week: one sign-in covers a sale. */
const sessionMaxAgeSeconds = 7 * 24 * 3600;

function mac(key: string, value: string): Buffer {
  return createHmac("sha256", key).update(value).digest();
}

function equal(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The value of one cookie from a Cookie header (RFC 6265 §5.4: "name=value" pairs separated by "; "). */
export function cookieValue(header: string, name: string): string | undefined {
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export class DashboardAuth {
  private readonly tokenMac: Buffer | undefined;
  private readonly session: string | undefined;

  constructor(private readonly token: string | undefined) {
    this.tokenMac = token === undefined ? undefined : mac(tokenKey, token);
    // The cookie carries a MAC keyed by the token, never the token itself; a new token ends every session.
    this.session = token === undefined ? undefined : mac(token, "sales-counter dashboard session v1").toString("base64url");
  }

  /** True when DASHBOARD_TOKEN is set: the full view, history and milestones are then private. */
  get enabled(): boolean {
    return this.token !== undefined;
  }

  /** Whether `presented` is the dashboard token. */
  isToken(presented: string): boolean {
    return this.tokenMac !== undefined && equal(this.tokenMac, mac(tokenKey, presented));
  }

  /** Reads the request's credentials (call inside the handler: req is not valid after it returns). */
  allows(req: HttpRequest): boolean {
    if (this.session === undefined) return true;
    const auth = req.getHeader("authorization");
    if (auth.startsWith("Bearer ") && this.isToken(auth.slice(7).trim())) return true;
    const cookie = cookieValue(req.getHeader("cookie"), sessionCookieName);
    return cookie !== undefined && equal(Buffer.from(cookie), Buffer.from(this.session));
  }

  /**
   * Set-Cookie for a signed-in dashboard. Path=/ so the cookie reaches the dashboard's own /v1/live, /v1/stream,
   * /v1/total, /v1/history and /v1/milestones requests; HttpOnly (no script reads it), SameSite=Strict (no other
   * site's request carries it), Secure when the page was served over HTTPS (directly or behind a TLS load balancer).
   */
  sessionCookie(secure: boolean): string {
    return `${sessionCookieName}=${this.session}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${sessionMaxAgeSeconds}${secure ? "; Secure" : ""}`;
  }

  /** Clears the session cookie (sign-out). */
  clearedCookie(secure: boolean): string {
    return `${sessionCookieName}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? "; Secure" : ""}`;
  }
}

/** The request came over HTTPS: a TLS load balancer in front says so with X-Forwarded-Proto (RFC 7239's de-facto predecessor). */
export function servedOverHttps(req: HttpRequest): boolean {
  return req.getHeader("x-forwarded-proto").split(",")[0]?.trim().toLowerCase() === "https";
}

/** 401 for a request that needs the dashboard token. */
export function refuseUnauthorized(res: HttpResponse, what: string): void {
  writeError(
    res,
    401,
    "UNAUTHORIZED",
    `${what} needs the dashboard token: Authorization: Bearer <DASHBOARD_TOKEN>, or sign in at /dashboard; public viewers use ?view=counter`,
    { "WWW-Authenticate": 'Bearer realm="dashboard"' },
  );
}
