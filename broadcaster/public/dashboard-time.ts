// Clocks for the dashboard in the campaign's zone (KST by default), 24-hour, Korean labels, whatever the browser's zone.

export class ZonedClock {
  readonly zoneLabel: string;
  /** Numeric parts only; the Korean wording is ours, so no locale's "오후" or 12-hour clock slips in. */
  private readonly parts: Intl.DateTimeFormat;

  constructor(readonly timeZone: string) {
    this.parts = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    this.zoneLabel = timeZone === "Asia/Seoul" ? "KST" : timeZone;
  }

  /** Calendar fields in the zone: year, month, day, hour (0-23), minute, second. */
  fieldsOf(unixSecond: number): Record<"year" | "month" | "day" | "hour" | "minute" | "second", number> {
    const out = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
    for (const part of this.parts.formatToParts(new Date(unixSecond * 1000))) {
      if (part.type in out) out[part.type as keyof typeof out] = Number(part.value) % (part.type === "hour" ? 24 : 10000);
    }
    return out;
  }

  /** "14:05:09" */
  hms(unixSecond: number): string {
    return this.join(this.fieldsOf(unixSecond), true);
  }

  /** "14:05" */
  hm(unixSecond: number): string {
    return this.join(this.fieldsOf(unixSecond), false);
  }

  /** "11월 27일 14:05" */
  dayHm(unixSecond: number): string {
    const f = this.fieldsOf(unixSecond);
    return `${f.month}월 ${f.day}일 ${this.join(f, false)}`;
  }

  /** "11월 27일" */
  dayOnly(unixSecond: number): string {
    const f = this.fieldsOf(unixSecond);
    return `${f.month}월 ${f.day}일`;
  }

  /** "2026-11-27 14:05:09" (for CSV files: sortable, unambiguous with the zone in the header). */
  iso(unixSecond: number): string {
    const f = this.fieldsOf(unixSecond);
    const p = (n: number) => String(n).padStart(2, "0");
    return `${f.year}-${p(f.month)}-${p(f.day)} ${p(f.hour)}:${p(f.minute)}:${p(f.second)}`;
  }

  /** Start of the zone's hour containing the instant (zones with whole-hour offsets and half-hour ones alike). */
  hourStart(unixSecond: number): number {
    const f = this.fieldsOf(unixSecond);
    return unixSecond - f.minute * 60 - f.second;
  }

  private join(f: { hour: number; minute: number; second: number }, seconds: boolean): string {
    const p = (n: number) => String(n).padStart(2, "0");
    return seconds ? `${p(f.hour)}:${p(f.minute)}:${p(f.second)}` : `${p(f.hour)}:${p(f.minute)}`;
  }
}

/** "3분 12초", "1시간 5분", "42초". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return `${h}시간 ${m}분`;
  if (m > 0) return `${m}분 ${rest}초`;
  return `${rest}초`;
}
