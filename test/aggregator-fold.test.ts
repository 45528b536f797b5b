// In-process tests of the fold arithmetic, the pace window and snapshot building (no Redis).
import { describe, expect, it } from "vitest";
import { PaceWindow } from "../aggregator/pace.js";
import { buildSnapshotBody, topDimensions } from "../aggregator/snapshot-builder.js";
import { totalsFingerprint } from "../aggregator/totals-fingerprint.js";
import { sumShards } from "../core/store/totals.js";

const twoTo53 = 2n ** 53n;

describe("sumShards", () => {
  it("sums amounts past 2^53 exactly", () => {
    const big = (twoTo53 + 1n).toString();
    const totals = sumShards(["a", "b", "c"], [{ net: big, count: "1" }, { net: big, count: "2" }, { net: "-1" }], null);
    expect(totals.net).toBe(2n * (twoTo53 + 1n) - 1n);
    expect(totals.count).toBe(3n);
  });

  it("sums dimensions whose names contain colons and ignores unknown fields", () => {
    const totals = sumShards(
      ["a", "b"],
      [
        { "ch:web:eu:a": "100", "ch:web:eu:n": "1", "cat:shoes:a": "100", "cat:shoes:n": "1", future: "x" },
        { "ch:web:eu:a": "-30", "cat:shoes:a": "-30" },
      ],
      "7",
    );
    expect(totals.channels.get("web:eu")).toEqual({ amount: 70n, count: 1n });
    expect(totals.categories.get("shoes")).toEqual({ amount: 70n, count: 1n });
    expect(totals.rejected).toBe(7n);
  });

  it("rejects a counter that is not an integer", () => {
    expect(() => sumShards(["a"], [{ net: "1.5" }], null)).toThrow(/COUNTER_CORRUPT|not an integer/);
  });

  it("fingerprints change with any counter, whatever the field order", () => {
    const a = sumShards(["a"], [{ net: "1", "ch:x:a": "1", "ch:y:a": "2" }], null);
    const b = sumShards(["a"], [{ "ch:y:a": "2", "ch:x:a": "1", net: "1" }], null);
    const c = sumShards(["a"], [{ net: "1", "ch:x:a": "1", "ch:y:a": "3" }], null);
    expect(totalsFingerprint(a)).toBe(totalsFingerprint(b));
    expect(totalsFingerprint(a)).not.toBe(totalsFingerprint(c));
  });
});

describe("PaceWindow", () => {
  it("reports the change over the last 60 s", () => {
    const pace = new PaceWindow(60_000);
    for (let s = 0; s <= 120; s++) pace.record({ atMs: s * 1000, count: BigInt(s * 2), net: BigInt(s * 1000) });
    expect(pace.paceOf({ atMs: 120_000, count: 240n, net: 120_000n })).toEqual({ count: 120, total: "60000" });
    expect(pace.size).toBe(61);
  });

  it("is zero before any sample", () => {
    expect(new PaceWindow().paceOf({ atMs: 0, count: 5n, net: 5n })).toEqual({ count: 0, total: "0" });
  });
});

describe("buildSnapshotBody", () => {
  it("keeps the 19 largest dimensions by amount and the rest in (other), and writes amounts as decimal strings", () => {
    const hash: Record<string, string> = { net: (twoTo53 * 3n).toString(), count: "25", refunded: "10", refunds: "1", dups: "4" };
    for (let i = 0; i < 25; i++) {
      hash[`ch:c${i}:a`] = String(i * 10);
      hash[`ch:c${i}:n`] = "1";
    }
    const totals = sumShards(["a"], [hash], "2");
    const body = buildSnapshotBody(totals, {
      campaign: "bf",
      epoch: "e1",
      currency: "KRW",
      atMs: Date.UTC(2020, 10, 27),
      foldMs: 1.23456,
      perMinute: { count: 1, total: "5" },
    });
    expect(body.total).toBe((twoTo53 * 3n).toString());
    expect(body).toMatchObject({
      count: 25,
      refunded: "10",
      refunds: 1,
      duplicates: 4,
      rejected: 2,
      foldMs: 1.23,
      at: "2020-11-27T00:00:00.000Z",
    });
    // 25 names: the 19 largest, and (other) holding the 6 smallest (0 + 10 + ... + 50), so the breakdown adds up.
    expect(Object.keys(body.channels)).toHaveLength(20);
    expect(Object.keys(body.channels)[0]).toBe("c24");
    expect(body.channels["c6"]).toBeDefined();
    expect(body.channels["c5"]).toBeUndefined();
    expect(body.channels["(other)"]).toEqual({ total: "150", count: 6 });
  });

  it("adds the counted (other) bucket and the names past the top into one (other), whatever its own rank", () => {
    const map = new Map(Array.from({ length: 30 }, (_, i) => [`n${i}`, { amount: BigInt(100 + i), count: 1n }] as const));
    const withOther = new Map([...map, ["(other)", { amount: 10_000n, count: 7n }]]);
    const top = topDimensions(withOther);
    expect(Object.keys(top)).toHaveLength(20);
    expect(top["n29"]).toEqual({ total: "129", count: 1 });
    expect(top["n10"]).toBeUndefined();
    // (other): its own 10,000 (7 payments) and n0..n10 (100 + ... + 110 = 1,155, 11 payments).
    expect(top["(other)"]).toEqual({ total: "11155", count: 18 });
    const sum = Object.values(top).reduce((s, d) => s + BigInt(d.total), 0n);
    expect(sum).toBe([...withOther.values()].reduce((s, d) => s + d.amount, 0n));
    // Twenty or fewer: shown as they are.
    expect(Object.keys(topDimensions(new Map([...map].slice(0, 20))))).toHaveLength(20);
  });

  it("keeps a dimension named __proto__ as data", () => {
    const top = topDimensions(new Map([["__proto__", { amount: 1n, count: 1n }]]));
    expect(Object.getPrototypeOf(top)).toBe(Object.prototype);
    expect(JSON.stringify(top)).toBe('{"__proto__":{"total":"1","count":1}}');
  });
});
