// KPI tiles and the goal panel: totals (net or gross), averages (both, labelled), refund rate, pace over elapsed
// time, the previous campaign at the same elapsed time, progress past 100 %, when the goal fell, and the deadline.

import type { Snapshot } from "../../core/snapshot.js";
import { formatAmount, formatCount } from "./counter-format.js";
import { firstReaching, type Point, type Rate } from "./dashboard-series.js";
import type { DashboardSettings } from "./dashboard-settings.js";
import { formatDuration, type ZonedClock } from "./dashboard-time.js";

/** Projections need a minute of sales: before that, one early burst would put the goal at any time at all. */
export const projectionAfterSeconds = 60;

export type Basis = "net" | "gross";

export interface KpiInput {
  readonly snapshot: Snapshot;
  readonly now: Point;
  readonly basis: Basis;
  /** Seconds since the campaign start (undefined until it is known). */
  readonly elapsedSeconds: number | undefined;
  /** Over the last minute (or the elapsed time when shorter). */
  readonly minuteRate: Rate | undefined;
  /** Over the last five minutes (or the elapsed time): the pace for projections. */
  readonly paceRate: Rate | undefined;
  readonly series: readonly Point[];
  /** The previous campaign's cumulative total at the same elapsed time, when configured and known. */
  readonly previousTotal: number | undefined;
}

const $ = (id: string) => document.getElementById(id) as HTMLElement;

function setText(id: string, text: string): void {
  const el = $(id);
  if (el.textContent !== text) el.textContent = text;
}

function percent(part: bigint, whole: bigint, digits = 1): string {
  if (whole <= 0n) return "—";
  const scale = 10n ** BigInt(digits + 2);
  const value = Number((part * scale) / whole) / 10 ** digits;
  return `${value.toFixed(digits)}%`;
}

export class KpiPanel {
  /** When the goal was first reached (unix second), once known. */
  goalReachedAt: number | undefined;

  constructor(
    private readonly settings: DashboardSettings,
    private readonly clock: ZonedClock,
  ) {}

  private won(value: bigint | number): string {
    if (typeof value === "number" && !Number.isFinite(value)) return "—";
    return formatAmount(typeof value === "bigint" ? value : BigInt(Math.round(value)), "KRW");
  }

  render(input: KpiInput): void {
    const s = input.snapshot;
    const net = BigInt(s.total);
    const refunded = BigInt(s.refunded ?? "0");
    const gross = net + refunded;
    const basisLabel = input.basis === "net" ? "순매출" : "총매출";
    setText("kpi-total-label", `누적 결제 금액 (${basisLabel})`);
    setText("kpi-total", this.won(input.basis === "net" ? net : gross));
    setText("kpi-total-detail", input.basis === "net" ? `총매출 ${this.won(gross)}` : `순매출 ${this.won(net)}`);
    setText("kpi-count", `${formatCount(s.count)}건`);
    // Net average = (payments - refunds) / payments; gross = payments / payments. Both named, the chosen one first.
    const count = BigInt(s.count);
    const netAov = count > 0n ? net / count : undefined;
    const grossAov = count > 0n ? gross / count : undefined;
    setText("kpi-aov-label", `평균 결제 금액 (${basisLabel} 기준)`);
    setText(
      "kpi-aov",
      (input.basis === "net" ? netAov : grossAov) === undefined ? "—" : this.won((input.basis === "net" ? netAov : grossAov) as bigint),
    );
    setText("kpi-aov-detail", netAov === undefined ? "" : `순매출 기준 ${this.won(netAov)} · 총매출 기준 ${this.won(grossAov as bigint)}`);
    setText("kpi-refunds", `${formatCount(s.refunds ?? 0)}건 · ${this.won(refunded)}`);
    setText("kpi-refund-rate", `환불률 건수 ${percent(BigInt(s.refunds ?? 0), count)} · 금액 ${percent(refunded, gross)}`);
    this.renderRates(input);
    this.renderPrevious(input, net);
    this.renderGoal(input, net);
  }

  private renderRates(input: KpiInput): void {
    const rate = input.minuteRate;
    if (rate) {
      setText("kpi-pm-count", `${formatCount(Math.round(rate.perMinuteCount))}건`);
      setText("kpi-pm-total", this.won(rate.perMinuteTotal));
      setText("kpi-pm-note", rate.overSeconds < 60 ? `처음 ${Math.round(rate.overSeconds)}초 기준 환산` : "최근 1분");
    } else {
      // History not loaded yet: the aggregator's own last-minute figures.
      setText("kpi-pm-count", `${formatCount(input.snapshot.perMinute?.count ?? 0)}건`);
      setText("kpi-pm-total", this.won(BigInt(input.snapshot.perMinute?.total ?? "0")));
      setText("kpi-pm-note", "최근 1분 (집계 서버 기준)");
    }
  }

  private renderPrevious(input: KpiInput, net: bigint): void {
    if (!this.settings.previousCampaign) return;
    $("kpi-previous-tile").hidden = false;
    const prev = input.previousTotal;
    if (prev === undefined || prev <= 0) {
      setText("kpi-previous", "—");
      setText("kpi-previous-detail", "같은 경과 시간의 이전 기록이 없습니다");
      return;
    }
    setText("kpi-previous", `x${(Number(net) / prev).toFixed(1)}`);
    setText("kpi-previous-detail", `${this.settings.previousCampaign} 같은 시점 ${this.won(prev)}`);
  }

  private renderGoal(input: KpiInput, net: bigint): void {
    if (!this.settings.goal) return;
    const goal = BigInt(this.settings.goal);
    $("goal").hidden = false;
    // The real share, past 100 % too; only the bar stops at full.
    const basisPoints = (net * 10000n) / goal;
    setText("goal-percent", `${this.won(net)} / ${this.won(goal)} (${(Number(basisPoints) / 100).toFixed(1)}%)`);
    ($("goal-bar") as HTMLElement).style.width = `${Math.min(100, Number(basisPoints) / 100)}%`;
    if (net >= goal) {
      this.goalReachedAt ??= firstReaching(input.series, Number(goal)) ?? input.now[0];
      setText("goal-left", `목표 초과 ${this.won(net - goal)}`);
      setText(
        "goal-pace",
        `목표 달성 · ${this.clock.dayOnly(this.goalReachedAt)} ${this.clock.hms(this.goalReachedAt)} (${this.clock.zoneLabel})`,
      );
    } else {
      setText("goal-left", `목표까지 ${this.won(goal - net)} 남음`);
      setText("goal-pace", this.paceText(input, goal - net));
    }
    this.renderDeadline(input, net, goal);
  }

  private paceText(input: KpiInput, left: bigint): string {
    const elapsed = input.elapsedSeconds;
    if (elapsed === undefined || elapsed < projectionAfterSeconds) {
      const so = elapsed === undefined ? "" : ` (지금 ${formatDuration(elapsed)} 경과)`;
      return `목표 달성 예상 시각은 판매 ${projectionAfterSeconds}초 뒤부터 계산합니다${so}`;
    }
    const pace = input.paceRate?.perMinuteTotal ?? 0;
    if (!(pace > 0)) return "최근 판매가 없어 목표 달성 예상 시각을 계산할 수 없습니다";
    const eta = input.now[0] + (Number(left) / pace) * 60;
    const minutes = Math.round((input.paceRate?.overSeconds ?? 0) / 60);
    return `최근 ${minutes}분 속도면 ${this.clock.dayOnly(eta)} ${this.clock.hm(eta)} (${this.clock.zoneLabel})에 목표 달성 예상`;
  }

  private renderDeadline(input: KpiInput, net: bigint, goal: bigint): void {
    const end = this.settings.campaignEnd;
    if (!end) return;
    const el = $("goal-deadline");
    el.hidden = false;
    const endSec = Math.floor(Date.parse(end) / 1000);
    const leftSec = endSec - input.now[0];
    const endText = `${this.clock.dayOnly(endSec)} ${this.clock.hm(endSec)}`;
    if (leftSec <= 0 || net >= goal) {
      setText("goal-deadline", leftSec <= 0 ? `마감 ${endText} 지남` : `마감 ${endText}까지 ${formatDuration(leftSec)} 남음`);
      return;
    }
    const needed = (Number(goal - net) * 60) / leftSec;
    const pace = input.paceRate?.perMinuteTotal;
    const now = pace === undefined ? "" : ` · 현재 분당 ${this.won(pace)}`;
    setText("goal-deadline", `마감 ${endText}까지 ${formatDuration(leftSec)}: 분당 ${this.won(needed)} 필요${now}`);
  }
}
