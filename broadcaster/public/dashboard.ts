// The marketers' dashboard: live KPIs from the first snapshot (history loads beside it), goal and deadline, charts,
// breakdowns, hourly table, milestones, CSV exports, and a net/gross switch.

import type { Snapshot } from "../../core/snapshot.js";
import { SalesCounterClient, type Status } from "./counter-client.js";
import { statusText } from "./counter-view.js";
import { DashboardCharts } from "./dashboard-chart.js";
import { breakdownCsv, download, historyCsv } from "./dashboard-export.js";
import { type Basis, KpiPanel } from "./dashboard-kpis.js";
import {
  hourlyRows,
  type MinuteBars,
  mergeSeries,
  minuteBars,
  type Point,
  type Rate,
  rateOver,
  upsertPoint,
  valueAt,
} from "./dashboard-series.js";
import { readSettings } from "./dashboard-settings.js";
import { breakdownRows, type Milestone, MilestoneList, renderBreakdown, renderHourly } from "./dashboard-tables.js";
import { ZonedClock } from "./dashboard-time.js";

const $ = <E extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as E;
const settings = readSettings(document.body);
const clock = new ZonedClock(settings.timeZone);
const charts = new DashboardCharts($("chart-total"), $("chart-rate"), clock, settings.previousCampaign !== null);
const kpis = new KpiPanel(settings, clock);
const milestones = new MilestoneList($("milestones"), $<HTMLButtonElement>("milestones-more"), clock);
/** Charts and tables redraw at most this often (each is a layout); the KPIs follow every snapshot. */
const chartEveryMs = 1000;

const state = {
  /** Per-second cumulative points: the last hour from history, then one per second from live snapshots. */
  seconds: [] as Point[],
  /** Per-minute cumulative points for the whole campaign, the current minute updated live. */
  minutes: [] as Point[],
  previous: [] as Point[],
  snapshot: undefined as Snapshot | undefined,
  historyLoaded: 0,
  basis: "net" as Basis,
  charts,
  /** The figures last shown (for tests and the console). */
  shown: {
    elapsedSeconds: undefined as number | undefined,
    minuteRate: undefined as Rate | undefined,
    bars: undefined as MinuteBars | undefined,
  },
};
(window as unknown as { dashboardState: typeof state }).dashboardState = state;

const query = (extra = "") => `?campaign=${encodeURIComponent(settings.campaign)}${extra}`;

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { cache: "no-store" });
  if (!res.ok) throw new Error(`${path} answered ${res.status}`);
  return (await res.json()) as T;
}

type History = { points: Array<[number, string, number]> };
const toPoints = (h: History): Point[] => h.points.map((p) => [p[0], Number(p[1]), p[2]] as const);

/** CAMPAIGN_START, else the first recorded point (the per-second one when it reaches back to the first minute). */
function startSecond(): number | undefined {
  if (settings.campaignStart) return Math.floor(Date.parse(settings.campaignStart) / 1000);
  const m0 = state.minutes[0];
  const s0 = state.seconds[0];
  if (s0 && (!m0 || Math.floor(s0[0] / 60) * 60 <= m0[0])) return s0[0];
  return m0?.[0];
}

function pointOf(s: Snapshot): Point {
  return [Math.floor(Date.parse(s.at) / 1000), Number(s.total), s.count];
}

let lastChartMs = -Infinity;
let renderQueued = false;

function render(): void {
  renderQueued = false;
  const s = state.snapshot;
  if (!s) return;
  const now = pointOf(s);
  const start = startSecond();
  const series = mergeSeries(state.minutes, state.seconds);
  const prevStart = state.previous[0]?.[0];
  const offset = start !== undefined && prevStart !== undefined ? start - prevStart : 0;
  const minuteRate = start === undefined ? undefined : rateOver(state.seconds, start, now, 60);
  const elapsedSeconds = start === undefined ? undefined : now[0] - start;
  state.shown.elapsedSeconds = elapsedSeconds;
  state.shown.minuteRate = minuteRate;
  kpis.render({
    snapshot: s,
    now,
    basis: state.basis,
    elapsedSeconds,
    minuteRate,
    paceRate: start === undefined ? undefined : rateOver(state.seconds, start, now, 300),
    series,
    previousTotal: start !== undefined && state.previous.length > 0 ? valueAt(state.previous, now[0] - offset)?.[1] : undefined,
  });
  if (performance.now() - lastChartMs >= chartEveryMs) {
    lastChartMs = performance.now();
    const total = BigInt(s.total);
    renderBreakdown($<HTMLTableElement>("channels"), breakdownRows(s.channels, settings.channelLabels, total));
    renderBreakdown($<HTMLTableElement>("categories"), breakdownRows(s.categories, settings.categoryLabels, total));
    const bars = minuteBars(state.minutes, start ?? now[0], now);
    state.shown.bars = bars;
    charts.update(series, state.previous, offset, bars);
    renderHourly(
      $<HTMLTableElement>("hourly"),
      hourlyRows(state.minutes, now, (t) => clock.hourStart(t)),
      clock,
    );
  }
}

let trailing: ReturnType<typeof setTimeout> | undefined;

function scheduleRender(): void {
  // The charts and tables skip renders within chartEveryMs: one more after the last snapshot shows its values there.
  clearTimeout(trailing);
  trailing = setTimeout(() => {
    lastChartMs = -Infinity;
    render();
  }, chartEveryMs);
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(render);
  // Background tabs get no frames; render anyway, less often.
  setTimeout(() => renderQueued && render(), 500);
}

function onSnapshot(s: Snapshot): void {
  state.snapshot = s;
  const p = pointOf(s);
  upsertPoint(state.seconds, p);
  upsertPoint(state.minutes, [Math.floor(p[0] / 60) * 60, p[1], p[2]]);
  scheduleRender();
}

/** History first, then what arrived live while it loaded (newer than its last point). */
function withLive(loaded: Point[], live: Point[]): Point[] {
  const last = loaded[loaded.length - 1];
  return last ? [...loaded, ...live.filter((p) => p[0] > last[0])] : [...loaded, ...live];
}

async function loadHistory(): Promise<void> {
  const hourAgo = Math.floor(Date.now() / 1000) - 3600;
  const [minutes, seconds] = await Promise.all([
    getJson<History>(`/v1/history${query("&step=60")}`),
    getJson<History>(`/v1/history${query(`&step=1&from=${hourAgo}`)}`),
  ]);
  state.minutes = withLive(toPoints(minutes), state.minutes);
  state.seconds = withLive(toPoints(seconds), state.seconds);
  state.historyLoaded = minutes.points.length + seconds.points.length;
  lastChartMs = -Infinity;
  scheduleRender();
}

async function loadPrevious(): Promise<void> {
  if (!settings.previousCampaign) return;
  state.previous = toPoints(await getJson<History>(`/v1/history?campaign=${encodeURIComponent(settings.previousCampaign)}&step=60`));
  lastChartMs = -Infinity;
  scheduleRender();
}

async function loadMilestones(): Promise<void> {
  milestones.set((await getJson<{ milestones: Milestone[] }>(`/v1/milestones${query()}`)).milestones);
}

function onStatus(status: Status): void {
  document.body.dataset.status = status;
  document.body.classList.toggle("stale", status !== "live");
  $("status").textContent = statusText[status];
}

function setBasis(basis: Basis): void {
  state.basis = basis;
  $("basis-net").setAttribute("aria-pressed", String(basis === "net"));
  $("basis-gross").setAttribute("aria-pressed", String(basis === "gross"));
  render();
}

$("basis-net").addEventListener("click", () => setBasis("net"));
$("basis-gross").addEventListener("click", () => setBasis("gross"));
const stamp = () =>
  clock
    .iso(Math.floor(Date.now() / 1000))
    .replace(/[-: ]/g, "")
    .slice(0, 12);
$("export-history").addEventListener("click", () => {
  const now = state.snapshot ? pointOf(state.snapshot) : undefined;
  const bars = minuteBars(state.minutes, startSecond() ?? now?.[0] ?? 0, now);
  download(`${settings.campaign}-history-${stamp()}.csv`, historyCsv(state.minutes, bars, clock));
});
$("export-breakdown").addEventListener("click", () => {
  const s = state.snapshot;
  const total = BigInt(s?.total ?? "0");
  const channels = breakdownRows(s?.channels, settings.channelLabels, total);
  const categories = breakdownRows(s?.categories, settings.categoryLabels, total);
  download(`${settings.campaign}-breakdown-${stamp()}.csv`, breakdownCsv(channels, categories));
});

// The live snapshot first: KPIs show as soon as it arrives, without waiting for the history.
new SalesCounterClient<Snapshot>({ campaign: settings.campaign, staleAfterMs: settings.staleAfterMs, onSnapshot, onStatus }).start();
loadHistory().catch(() => {
  $("history-error").hidden = false;
});
loadPrevious().catch(() => undefined);
loadMilestones().catch(() => undefined);
setInterval(() => loadMilestones().catch(() => undefined), 5000);
