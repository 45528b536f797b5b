// The viewer's query parameters ?view= and ?hz=: which view of the snapshot it gets and how many frames a second at most.
import type { HttpRequest, HttpResponse } from "uWebSockets.js";
import { queryParam } from "../core/uws-request.js";
import { type DashboardAuth, refuseUnauthorized } from "./dashboard-auth.js";
import { campaignParam, writeError } from "./http.js";
import { type ViewName, viewNames } from "./views.js";

export const minHz = 1;
export const maxHz = 10;
/** Without ?hz= a viewer gets every fold (10 a second with the default FOLD_INTERVAL_MS). */
export const defaultHz = 10;
/** The rate the public viewer page and /widget.js request (page-rate.ts: no dependencies, the page bundler reads it too). */
export { viewerPageHz } from "./page-rate.js";

export type ParamResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** ?view=full|counter; absent means full (the snapshot as published). */
export function viewParam(req: HttpRequest): ParamResult<ViewName> {
  const value = queryParam(req, "view");
  if (value === undefined || value === "") return { ok: true, value: "full" };
  if ((viewNames as readonly string[]).includes(value)) return { ok: true, value: value as ViewName };
  return { ok: false, code: "INVALID_VIEW", message: `view must be one of ${viewNames.join(", ")}` };
}

/** ?hz=1..10 (an integer); absent means defaultHz. */
export function hzParam(req: HttpRequest): ParamResult<number> {
  const value = queryParam(req, "hz");
  if (value === undefined || value === "") return { ok: true, value: defaultHz };
  const hz = /^\d{1,2}$/.test(value) ? Number(value) : Number.NaN;
  if (hz >= minHz && hz <= maxHz) return { ok: true, value: hz };
  return { ok: false, code: "INVALID_HZ", message: `hz must be an integer from ${minHz} to ${maxHz}` };
}

export interface ViewerRequest {
  readonly campaign: string;
  readonly view: ViewName;
  readonly hz: number;
}

/**
 * Reads ?campaign=, ?view= and ?hz= and checks that the request may have that view; on a problem writes the answer
 * (400 naming the parameter, or 401) and returns undefined. Call inside the handler (req is not valid after it).
 */
export function readViewerRequest(
  res: HttpResponse,
  req: HttpRequest,
  auth: DashboardAuth,
  defaultCampaign: string,
): ViewerRequest | undefined {
  const campaign = campaignParam(req, defaultCampaign);
  if (!campaign.ok) return void writeError(res, 400, "INVALID_CAMPAIGN", campaign.message);
  const view = viewParam(req);
  if (!view.ok) return void writeError(res, 400, view.code, view.message);
  const hz = hzParam(req);
  if (!hz.ok) return void writeError(res, 400, hz.code, hz.message);
  if (view.value === "full" && !auth.allows(req)) return void refuseUnauthorized(res, "the full view (breakdowns by channel and category)");
  return { campaign: campaign.campaign, view: view.value, hz: hz.value };
}
