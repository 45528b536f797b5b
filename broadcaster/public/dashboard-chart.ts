// Dashboard charts (uPlot): the cumulative total, with a previous campaign overlaid at the same elapsed time when one
// is configured, and sales per minute as bars (the unfinished minute drawn apart, outages as gaps). Axes and legends
// read in the campaign's zone, 24-hour, in Korean.

import uPlot from "uplot";
import { formatCount } from "./counter-format.js";
import type { MinuteBars, Point } from "./dashboard-series.js";
import type { ZonedClock } from "./dashboard-time.js";

/** 743억, 2,115만, 9,000: axis numbers in Korean units. */
export function koreanAxisValue(v: number): string {
  const abs = Math.abs(v);
  if (abs >= 1e12) return `${(v / 1e12).toLocaleString("ko-KR", { maximumFractionDigits: 2 })}조`;
  if (abs >= 1e8) return `${(v / 1e8).toLocaleString("ko-KR", { maximumFractionDigits: 1 })}억`;
  if (abs >= 1e4) return `${(v / 1e4).toLocaleString("ko-KR", { maximumFractionDigits: 1 })}만`;
  return v.toLocaleString("ko-KR");
}

const won = (v: number | null) => (v === null || v === undefined ? "—" : `₩${formatCount(Math.round(v))}`);

/** A time range of at least `minSeconds` ending at the data's end (one point alone would make uPlot span years). */
function timeRange(minSeconds: number, padEnd: number): uPlot.Scale.Range {
  // From the data itself: uPlot widens a single point to a whole day before asking.
  return (u, min, max) => {
    const xs = u.data[0] ?? [];
    const end = xs[xs.length - 1] ?? max ?? Date.now() / 1000;
    const start = xs[0] ?? min ?? end - minSeconds;
    return [Math.min(start, end - minSeconds), end + padEnd];
  };
}

/** Bars grow from zero (a negative minute, refunds outweighing sales, stays visible below it). */
const fromZero: uPlot.Scale.Range = (_u, min, max) => [Math.min(0, min ?? 0), Math.max(1, max ?? 1) * 1.1];

function widthOf(el: HTMLElement): number {
  return Math.max(260, el.clientWidth || 600);
}

/** Last value at or before each x from points sorted by time, shifted by offset (null before the first). */
function alignTo(xs: readonly number[], points: readonly Point[], offset: number): Array<number | null> {
  const out: Array<number | null> = [];
  let j = 0;
  let last: number | null = null;
  for (const x of xs) {
    while (j < points.length && (points[j] as Point)[0] + offset <= x) last = (points[j++] as Point)[1];
    out.push(last);
  }
  return out;
}

export class DashboardCharts {
  /** The tick labels each chart last drew on its time axis (canvas text is not in the DOM; tests and tools read it here). */
  readonly ticks: { total: string[]; rate: string[] } = { total: [], rate: [] };
  private readonly total: uPlot;
  private readonly rate: uPlot;

  constructor(
    totalEl: HTMLElement,
    rateEl: HTMLElement,
    private readonly clock: ZonedClock,
    private readonly withPrevious: boolean,
  ) {
    const tzDate = (ts: number) => uPlot.tzDate(new Date(ts * 1000), clock.timeZone);
    const timeAxis = (which: "total" | "rate"): uPlot.Axis => ({
      values: (_u, splits, _axis, _space, incr) => {
        const labels = splits.map((s) => this.tickLabel(s, incr, splits));
        this.ticks[which] = labels;
        return labels;
      },
      label: `시각 (${clock.zoneLabel})`,
      labelSize: 20,
      // "12:56:30" needs about 60 px: ticks closer than this would overlap on a phone.
      space: 80,
    });
    const timeSeries: uPlot.Series = {
      label: `시각 (${clock.zoneLabel})`,
      value: (_u, v) => (v === null ? "—" : `${clock.dayOnly(v)} ${clock.hms(v)}`),
    };
    const series: uPlot.Series[] = [timeSeries, { label: "이번 캠페인", stroke: "#1e88e5", width: 2, value: (_u, v) => won(v) }];
    if (withPrevious)
      series.push({ label: "이전 캠페인 (같은 경과 시간)", stroke: "#9e9e9e", dash: [6, 4], spanGaps: true, value: (_u, v) => won(v) });
    this.total = new uPlot(
      {
        width: widthOf(totalEl),
        height: 260,
        tzDate,
        scales: { x: { time: true, range: timeRange(60, 0) } },
        series,
        axes: [timeAxis("total"), { values: (_u, vs) => vs.map(koreanAxisValue), size: 64 }],
      },
      [[], [], ...(withPrevious ? [[]] : [])] as unknown as uPlot.AlignedData,
      totalEl,
    );
    const bars = uPlot.paths.bars?.({ size: [0.8, 40], align: 1 });
    this.rate = new uPlot(
      {
        width: widthOf(rateEl),
        height: 260,
        tzDate,
        scales: { x: { time: true, range: timeRange(600, 60) }, y: { range: fromZero } },
        series: [
          { ...timeSeries, value: (_u, v) => (v === null ? "—" : `${clock.hm(v)}부터 1분`) },
          {
            label: "분당 판매액",
            stroke: "#2e7d32",
            fill: "rgba(46,125,50,.45)",
            paths: bars,
            points: { show: false },
            value: (_u, v) => won(v),
          },
          {
            label: "진행 중인 분 (부분)",
            stroke: "#f9a825",
            fill: "rgba(249,168,37,.35)",
            dash: [4, 3],
            paths: bars,
            points: { show: false },
            value: (_u, v) => won(v),
          },
        ],
        axes: [timeAxis("rate"), { values: (_u, vs) => vs.map(koreanAxisValue), size: 64 }],
      },
      [[], [], []],
      rateEl,
    );
    if (typeof ResizeObserver === "function") {
      new ResizeObserver(() => {
        this.total.setSize({ width: widthOf(totalEl), height: 260 });
        this.rate.setSize({ width: widthOf(rateEl), height: 260 });
      }).observe(totalEl.parentElement ?? totalEl);
    }
  }

  /** 24-hour labels: seconds when ticks are seconds apart, the date where a day begins (or on multi-day ranges). */
  private tickLabel(s: number, incr: number, splits: number[]): string {
    const f = this.clock.fieldsOf(s);
    const multiDay = (splits[splits.length - 1] ?? s) - (splits[0] ?? s) >= 86400;
    if (incr >= 86400) return this.clock.dayOnly(s);
    if (multiDay || (f.hour === 0 && f.minute === 0 && f.second === 0)) return this.clock.dayHm(s);
    return incr < 60 ? this.clock.hms(s) : this.clock.hm(s);
  }

  /** points: this campaign's cumulative series; previous: the earlier one's, shifted by offset to line up the starts. */
  update(points: readonly Point[], previous: readonly Point[], previousOffset: number, bars: MinuteBars): void {
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    const data: Array<Array<number | null>> = [xs, ys];
    if (this.withPrevious) data.push(alignTo(xs, previous, previousOffset));
    this.total.setData(data as unknown as uPlot.AlignedData);
    this.rate.setData([bars.xs, bars.full, bars.partial] as unknown as uPlot.AlignedData);
  }
}
