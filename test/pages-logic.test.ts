// The pages' pure logic in Node: Korean units, the counter's motion, snapshot order, minute bars and rates, encodings.
import { describe, expect, it } from "vitest";
import { formatAmount, koreanDigits } from "../broadcaster/public/counter-format.js";
import { CounterMotion } from "../broadcaster/public/counter-motion.js";
import { SnapshotOrder } from "../broadcaster/public/counter-snapshot.js";
import { csvField } from "../broadcaster/public/dashboard-export.js";
import { hourlyRows, minuteBars, type Point, rateOver } from "../broadcaster/public/dashboard-series.js";
import { negotiateEncoding } from "../broadcaster/routes/pages-assets.js";
import { ConfigError, parseConfig } from "../core/config.js";

describe("Korean units", () => {
  it("reads 74,321,150,000 as 743억 2,115만 원 and keeps every won exact", () => {
    expect(formatAmount(74_321_150_000n, "KRW", "korean")).toBe("743억 2,115만 원");
    expect(formatAmount(74_300_000_000n, "KRW", "korean")).toBe("743억 원");
    expect(formatAmount(1_000_000_000_000n, "KRW", "korean")).toBe("1조 원");
    expect(formatAmount(74_321_154_321n, "KRW", "korean")).toBe("743억 2,115만 4,321원");
    expect(formatAmount(9_999n, "KRW", "korean")).toBe("9,999원");
    expect(koreanDigits(12_345_678_901_234_567n)).toBe("12,345조 6,789억 123만 4,567");
  });

  it("keeps the full figure by default and for currencies with cents", () => {
    expect(formatAmount(74_300_000_000n, "KRW")).toBe("₩74,300,000,000");
    expect(formatAmount(123_456_789n, "USD", "korean")).toBe("US$1,234,567.89");
  });
});

describe("counter motion", () => {
  it("glides up without ever stepping back, and a snapshot landing mid-glide continues from where the number is", () => {
    const motion = new CounterMotion(() => false);
    motion.setTarget(1_000_000n, 0);
    const shown: bigint[] = [];
    motion.setTarget(2_000_000n, 0);
    for (let t = 0; t <= 300; t += 16) shown.push(motion.step(t) as bigint);
    motion.setTarget(2_500_000n, 300);
    for (let t = 300; t <= 1000; t += 16) shown.push(motion.step(t) as bigint);
    expect(shown.every((v, i) => i === 0 || v >= (shown[i - 1] as bigint))).toBe(true);
    expect(shown.at(-1)).toBe(2_500_000n);
    expect(motion.moving).toBe(false);
  });

  it("drops once, straight to a lower total, and only when it is below what is shown", () => {
    const motion = new CounterMotion(() => false);
    motion.setTarget(5_000_000n, 0);
    motion.setTarget(6_000_000n, 0);
    motion.step(100);
    const mid = motion.shown as bigint;
    // A refund that leaves the total above the shown value: keep gliding up, no drop.
    expect(motion.setTarget(mid + 1n, 100)).toBe(true);
    motion.step(2000);
    expect(motion.shown).toBe(mid + 1n);
    expect(motion.setTarget(4_000_000n, 2000)).toBe(false);
    expect(motion.shown).toBe(4_000_000n);
  });

  it("jumps with reduced motion", () => {
    const motion = new CounterMotion(() => true);
    motion.setTarget(1n, 0);
    expect(motion.setTarget(1_000n, 0)).toBe(false);
    expect(motion.shown).toBe(1_000n);
  });
});

describe("snapshot order", () => {
  it("drops a lower or equal seq in the same epoch and an epoch already left", () => {
    const order = new SnapshotOrder();
    const s = (epoch: string, seq: number) => ({ campaign: "c", epoch, seq, at: "", currency: "KRW", total: "1", count: 1 });
    expect(order.accept(s("a", 5))).toBe(true);
    expect(order.accept(s("a", 5))).toBe(false);
    expect(order.accept(s("a", 4))).toBe(false);
    expect(order.accept(s("b", 1))).toBe(true);
    expect(order.accept(s("a", 99))).toBe(false);
    expect(order.latest?.epoch).toBe("b");
    // Epochs are ordered: a viewer that joined in the later epoch drops a late snapshot of an earlier one too.
    const joinedLate = new SnapshotOrder();
    expect(joinedLate.accept(s("b", 1))).toBe(true);
    expect(joinedLate.accept(s("a", 99))).toBe(false);
  });
});

describe("dashboard series", () => {
  const start = 1_800_000_000 - (1_800_000_000 % 60);

  it("measures the first minute from zero, draws the current minute as partial and an outage as a gap", () => {
    const minutes: Point[] = [
      [start, 600, 6],
      [start + 60, 900, 9],
      // start + 120 and + 180: nothing recorded (an outage)
      [start + 240, 1500, 15],
    ];
    const bars = minuteBars(minutes, start, [start + 300 + 20, 1700, 17]);
    expect(bars.xs).toEqual([start, start + 60, start + 120, start + 180, start + 240, start + 300]);
    expect(bars.full).toEqual([600, 300, null, null, 200, null]);
    expect(bars.averaged).toEqual([false, false, false, false, true, false]);
    expect(bars.partial.at(-1)).toBe(200);
    expect(bars.partialSeconds).toBe(21);
  });

  it("computes per-minute rates over the elapsed time in the first minute", () => {
    const rate = rateOver([], start, [start + 5, 1_000_000, 10], 60);
    expect(rate?.perMinuteTotal).toBe(12_000_000);
    expect(rate?.overSeconds).toBe(5);
    const later = rateOver([[start + 100, 5_000_000, 50]], start, [start + 160, 8_000_000, 80], 60);
    expect(later?.perMinuteTotal).toBe(3_000_000);
  });

  it("sums hours newest first with the current one partial", () => {
    const hourStart = (t: number) => t - (t % 3600);
    const h = 1_800_000_000 - (1_800_000_000 % 3600);
    const rows = hourlyRows(
      [
        [h + 60, 100, 1],
        [h + 3600 + 60, 250, 3],
      ],
      [h + 3600 + 120, 300, 4],
      hourStart,
    );
    expect(rows.map((r) => [r.hourStart, r.total, r.count, r.partial])).toEqual([
      [h + 3600, 200, 3, true],
      [h, 100, 1, false],
    ]);
  });

  it("quotes CSV fields that need it (RFC 4180)", () => {
    expect(csvField('a,"b"')).toBe('"a,""b"""');
    expect(csvField("plain")).toBe("plain");
  });
});

describe("content negotiation", () => {
  it("prefers brotli, then gzip, honours q=0 and *", () => {
    expect(negotiateEncoding("gzip, deflate, br")).toBe("br");
    expect(negotiateEncoding("gzip, br;q=0")).toBe("gzip");
    expect(negotiateEncoding("br;q=0.5, gzip;q=0.9")).toBe("gzip");
    expect(negotiateEncoding("*")).toBe("br");
    expect(negotiateEncoding("identity")).toBe("identity");
    expect(negotiateEncoding("")).toBe("identity");
  });
});

describe("dashboard configuration", () => {
  it("reads TIMEZONE, CAMPAIGN_END and the label lists, and names the variable of a bad value", () => {
    const config = parseConfig({ CHANNEL_LABELS: "app=모바일 앱, mobile-web=모바일 웹", CAMPAIGN_END: "2026-11-28T00:00:00+09:00" });
    expect(config.timeZone).toBe("Asia/Seoul");
    expect(config.channelLabels).toEqual({ app: "모바일 앱", "mobile-web": "모바일 웹" });
    expect(config.categoryLabels).toEqual({});
    expect(config.campaignEnd).toBe("2026-11-28T00:00:00+09:00");
    const problems = (env: Record<string, string>) => {
      try {
        parseConfig(env);
        return [];
      } catch (err) {
        return err instanceof ConfigError ? err.problems : [String(err)];
      }
    };
    expect(problems({ TIMEZONE: "Mars/Olympus" })[0]).toMatch(/^TIMEZONE="Mars\/Olympus": must be an IANA time zone/);
    expect(problems({ CATEGORY_LABELS: "shoes" })[0]).toMatch(/^CATEGORY_LABELS="shoes": "shoes" must be id=label/);
    expect(problems({ CAMPAIGN_START: "2026-11-28T00:00:00Z", CAMPAIGN_END: "2026-11-27T00:00:00Z" })[0]).toMatch(
      /^CAMPAIGN_END=.*must be after CAMPAIGN_START/,
    );
  });
});
