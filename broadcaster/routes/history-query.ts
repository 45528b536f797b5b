// Turns the history hash (s:<second> / m:<minute> -> "<total>,<count>") into the points a query asks for.

export type HistoryPoint = readonly [unixSecond: number, total: string, count: number];

export interface HistoryQuery {
  /** Unix seconds, inclusive; undefined: from the first point. */
  readonly from: number | undefined;
  /** Unix seconds, inclusive; undefined: up to now. */
  readonly to: number | undefined;
  /** Seconds between points; under 60 reads the per-second series (last hour only). */
  readonly step: number | undefined;
}

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

/** Points of one resolution, sorted by time, each the last value seen in its step-sized bucket. */
export function selectPoints(
  hash: Readonly<Record<string, string>>,
  query: HistoryQuery,
  nowSecond: number,
): {
  step: number;
  points: HistoryPoint[];
} {
  const step = query.step ?? (query.from !== undefined && nowSecond - query.from <= 3600 ? 1 : 60);
  const prefix = step < 60 ? "s:" : "m:";
  const from = query.from ?? 0;
  const to = query.to ?? Number.MAX_SAFE_INTEGER;
  const buckets = new Map<number, HistoryPoint>();
  for (const [field, value] of Object.entries(hash)) {
    if (!field.startsWith(prefix)) continue;
    const second = Number(field.slice(2));
    if (!(second >= from && second <= to)) continue;
    const [total, count] = value.split(",");
    if (total === undefined || !/^-?\d+$/.test(total)) continue;
    const bucket = second - (second % step);
    const existing = buckets.get(bucket);
    if (!existing || existing[0] < second) buckets.set(bucket, [second, total, Number(count ?? 0)]);
  }
  const points = [...buckets.values()].sort((a, b) => a[0] - b[0]);
  return { step, points };
}
