// When a milestone was first crossed: exact when seen as it happened, interpolated in the recorded history after a gap.
import { describe, expect, it } from "vitest";
import { crossingFromHistory, crossingFromPrevious } from "../aggregator/first-crossing.js";
import { retryDelayMs } from "../aggregator/milestone-notifier.js";
import type { HistoryPoint } from "../core/store/index.js";

const t0 = 1_790_000_000; // a minute start (divisible by 60)
const iso = (s: number) => new Date(s * 1000).toISOString();
const seconds = (...points: Array<[number, number]>): HistoryPoint[] => points.map(([s, total]) => [t0 + s, String(total), 0]);

describe("first crossing of a threshold", () => {
  it("is exact at the snapshot's own time when the previous recording a second before was below", () => {
    const current = { second: t0 + 10, total: 1500n, at: iso(t0 + 10.25) };
    expect(crossingFromPrevious(1000n, { second: t0 + 9, total: 900n }, current)).toEqual({ at: iso(t0 + 10.25), timing: "exact" });
    // The previous point was above already, or too long ago: our own point does not decide it.
    expect(crossingFromPrevious(1000n, { second: t0 + 9, total: 1000n }, current)).toBeUndefined();
    expect(crossingFromPrevious(1000n, { second: t0 + 5, total: 900n }, current)).toBeUndefined();
    expect(crossingFromPrevious(1000n, undefined, current)).toBeUndefined();
  });

  it("gives each catch-up milestone after a gap its own time, interpolated between the points around the gap", () => {
    // Recorded up to t0+20 (total 1,000), then nobody recorded for 100 s; now the total is 6,000.
    const series = { seconds: seconds([18, 800], [19, 900], [20, 1000]), minutes: [] };
    const current = { second: t0 + 120, total: 6000n, at: iso(t0 + 120) };
    const times = [2000n, 3000n, 4000n, 5000n, 6000n].map((t) => crossingFromHistory(t, series, current));
    expect(times.map((c) => c.at)).toEqual([40, 60, 80, 100, 120].map((s) => iso(t0 + s)));
    expect(new Set(times.map((c) => c.at)).size).toBe(5);
    for (const c of times) expect(c).toMatchObject({ timing: "estimated", after: iso(t0 + 20), by: iso(t0 + 120) });
  });

  it("is exact when the history shows the crossing between two consecutive seconds (a failover within the lease)", () => {
    const series = { seconds: seconds([30, 900], [31, 950]), minutes: [] };
    const current = { second: t0 + 33, total: 1200n, at: iso(t0 + 33.4) };
    expect(crossingFromHistory(1000n, series, current)).toEqual({ at: iso(t0 + 33.4), timing: "exact" });
  });

  it("uses the first recorded point at or above, even when a refund took the total below again", () => {
    const series = { seconds: seconds([1, 500], [2, 1100], [3, 900]), minutes: [] };
    const current = { second: t0 + 50, total: 1300n, at: iso(t0 + 50) };
    expect(crossingFromHistory(1000n, series, current)).toEqual({ at: iso(t0 + 2), timing: "exact" });
  });

  it("falls back to minute points where the seconds expired, bounding them by the minute's start and end", () => {
    // Minute t0 ended at 600, minute t0+60 had 1,200 at some second of it; no second points survive for either.
    const series = { seconds: seconds([3600, 5000]), minutes: seconds([0, 600], [60, 1200]) };
    const current = { second: t0 + 3601, total: 5100n, at: iso(t0 + 3601) };
    const c = crossingFromHistory(1000n, series, current);
    expect(c).toMatchObject({ timing: "estimated", after: iso(t0), by: iso(t0 + 119) });
    expect(Date.parse(c.at)).toBeGreaterThan(Date.parse(iso(t0)));
    expect(Date.parse(c.at)).toBeLessThan(Date.parse(iso(t0 + 119)));
  });

  it("says only 'by now' when nothing was recorded before", () => {
    const current = { second: t0 + 5, total: 2500n, at: iso(t0 + 5) };
    expect(crossingFromHistory(1000n, { seconds: [], minutes: [] }, current)).toEqual({
      at: iso(t0 + 5),
      timing: "estimated",
      by: iso(t0 + 5),
    });
  });
});

describe("delivery backoff", () => {
  it("doubles per attempt from the base, stays within [step/2, step] and is capped at the maximum", () => {
    expect(retryDelayMs(1, 1000, 60000, () => 1)).toBe(1000);
    expect(retryDelayMs(1, 1000, 60000, () => 0)).toBe(500);
    expect(retryDelayMs(3, 1000, 60000, () => 1)).toBe(4000);
    expect(retryDelayMs(20, 1000, 60000, () => 1)).toBe(60000);
    expect(retryDelayMs(500, 1000, 60000, () => 0.5)).toBe(45000);
  });
});
