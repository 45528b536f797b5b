// Parses the query of GET /v1/history (from, to, step) into the range the store selects points for.
import type { HistoryRange } from "../../core/store/index.js";

export type HistoryQuery = HistoryRange;

export type ParsedQuery = { readonly ok: true; readonly query: HistoryQuery } | { readonly ok: false; readonly message: string };

function time(value: string, name: string): number | string | undefined {
  if (value === "") return undefined;
  if (/^\d{1,12}$/.test(value)) return Number(value) > 1e11 ? Math.floor(Number(value) / 1000) : Number(value);
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? `${name} must be unix seconds, unix milliseconds or an ISO-8601 timestamp` : Math.floor(ms / 1000);
}

export function parseHistoryQuery(fromText: string, toText: string, stepText: string): ParsedQuery {
  const from = time(fromText, "from");
  if (typeof from === "string") return { ok: false, message: from };
  const to = time(toText, "to");
  if (typeof to === "string") return { ok: false, message: to };
  let step: number | undefined;
  if (stepText !== "") {
    const match = /^(\d{1,6})(s|m)?$/.exec(stepText);
    if (!match || Number(match[1]) === 0) return { ok: false, message: "step must be a positive number of seconds, or e.g. 1s, 5m" };
    step = Number(match[1]) * (match[2] === "m" ? 60 : 1);
  }
  return { ok: true, query: { from, to, step } };
}
