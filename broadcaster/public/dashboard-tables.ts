// Dashboard tables: breakdowns by channel and category (headers, display names, share of the total), the hourly
// table, and milestones newest first with "more".

import type { DimensionTotals } from "../../core/snapshot.js";
import { formatAmount, formatCount } from "./counter-format.js";
import type { HourRow } from "./dashboard-series.js";
import type { ZonedClock } from "./dashboard-time.js";

export interface Milestone {
  readonly threshold: string;
  /** When the total first reached it: exact, or estimated from the history when it was crossed while nobody recorded. */
  readonly at: string;
  readonly total?: string;
  readonly timing?: "exact" | "estimated";
  readonly after?: string;
  readonly by?: string;
  /** Its notifications (webhook, Lambda): none configured, some not acknowledged yet, or all delivered. */
  readonly delivery?: "none" | "pending" | "delivered";
}

export interface BreakdownRow {
  readonly id: string;
  readonly label: string;
  readonly count: number;
  readonly total: bigint;
  /** Share of the campaign's net total, in percent (undefined when the total is not positive). */
  readonly share: number | undefined;
}

/** Rows sorted by amount, largest first. */
export function breakdownRows(
  dims: Readonly<Record<string, DimensionTotals>> | undefined,
  labels: Readonly<Record<string, string>>,
  campaignTotal: bigint,
): BreakdownRow[] {
  return Object.entries(dims ?? {})
    .map(([id, d]) => {
      const total = BigInt(d.total);
      const share = campaignTotal > 0n ? Number((total * 10000n) / campaignTotal) / 100 : undefined;
      return { id, label: labels[id] ?? id, count: d.count, total, share };
    })
    .sort((a, b) => (b.total > a.total ? 1 : b.total < a.total ? -1 : a.id.localeCompare(b.id)));
}

const won = (v: bigint | number) => formatAmount(typeof v === "bigint" ? v : BigInt(Math.round(v)), "KRW");

function row(body: HTMLTableSectionElement, cells: string[], title?: string): HTMLTableRowElement {
  const tr = body.insertRow();
  cells.forEach((text, i) => {
    const cell = i === 0 ? document.createElement("th") : tr.insertCell();
    if (i === 0) {
      (cell as HTMLTableCellElement).scope = "row";
      tr.appendChild(cell);
    }
    cell.textContent = text;
  });
  if (title) tr.title = title;
  return tr;
}

/** Top `limit` rows, then one line for the rest. */
export function renderBreakdown(table: HTMLTableElement, rows: readonly BreakdownRow[], limit = 10): void {
  const body = table.tBodies[0] as HTMLTableSectionElement;
  body.replaceChildren();
  for (const r of rows.slice(0, limit)) {
    const tr = row(
      body,
      [r.label, `${formatCount(r.count)}건`, won(r.total), r.share === undefined ? "—" : `${r.share.toFixed(1)}%`],
      r.id,
    );
    tr.dataset.id = r.id;
  }
  const rest = rows.slice(limit);
  if (rest.length > 0) {
    const total = rest.reduce((sum, r) => sum + r.total, 0n);
    const count = rest.reduce((sum, r) => sum + r.count, 0);
    const share = rest.reduce((sum, r) => sum + (r.share ?? 0), 0);
    row(body, [`그 외 ${rest.length}개`, `${formatCount(count)}건`, won(total), `${share.toFixed(1)}%`]);
  }
  if (rows.length === 0) row(body, ["아직 없음", "", "", ""]);
}

export function renderHourly(table: HTMLTableElement, rows: readonly HourRow[], clock: ZonedClock, limit = 24): void {
  const body = table.tBodies[0] as HTMLTableSectionElement;
  body.replaceChildren();
  for (const r of rows.slice(0, limit)) {
    const hour = `${clock.dayOnly(r.hourStart)} ${clock.hm(r.hourStart)}${r.partial ? " (진행 중)" : ""}`;
    row(body, [hour, `${formatCount(r.count)}건`, won(r.total), won(r.cumulative)]);
  }
  if (rows.length === 0) row(body, ["아직 없음", "", "", ""]);
}

export class MilestoneList {
  private expanded = false;
  private milestones: Milestone[] = [];

  constructor(
    private readonly list: HTMLElement,
    private readonly more: HTMLButtonElement,
    private readonly clock: ZonedClock,
    private readonly limit = 10,
  ) {
    more.addEventListener("click", () => {
      this.expanded = !this.expanded;
      this.render();
    });
  }

  set(milestones: readonly Milestone[]): void {
    // Newest first: the highest threshold was crossed last.
    this.milestones = [...milestones].sort((a, b) => (BigInt(b.threshold) > BigInt(a.threshold) ? 1 : -1));
    this.render();
  }

  private render(): void {
    const shown = this.expanded ? this.milestones : this.milestones.slice(0, this.limit);
    this.list.replaceChildren(
      ...shown.map((m) => {
        const li = document.createElement("li");
        const at = Math.floor(Date.parse(m.at) / 1000);
        const when = Number.isNaN(at) ? "" : ` · ${this.clock.dayOnly(at)} ${this.clock.hms(at)}`;
        li.textContent = `${formatAmount(BigInt(m.threshold), "KRW", "korean")} 돌파${when}`;
        li.dataset.threshold = m.threshold;
        // Timing and delivery as attributes and a tooltip: the line itself stays as it is.
        if (m.timing) li.dataset.timing = m.timing;
        if (m.delivery) li.dataset.delivery = m.delivery;
        li.title = this.details(m);
        return li;
      }),
    );
    const hidden = this.milestones.length - this.limit;
    this.more.hidden = hidden <= 0;
    this.more.textContent = this.expanded ? "접기" : `더 보기 (${hidden}개)`;
  }

  private details(m: Milestone): string {
    const time = (iso: string | undefined) => {
      const at = iso === undefined ? Number.NaN : Math.floor(Date.parse(iso) / 1000);
      return Number.isNaN(at) ? "?" : `${this.clock.dayOnly(at)} ${this.clock.hms(at)}`;
    };
    const timing =
      m.timing === "estimated" ? `추정 시각 (${time(m.after)} ~ ${time(m.by)} 사이)` : m.timing === "exact" ? "실시간 기록" : "기록된 시각";
    const delivery = { none: "", pending: " · 알림 전송 대기 중", delivered: " · 알림 전송 완료" }[m.delivery ?? "none"];
    return timing + delivery;
  }
}
