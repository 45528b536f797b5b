// History: the leader records the curve into Redis once a second, idempotently, and GET /v1/history serves it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { campaignKeys } from "../core/store/keys.js";
import { eventually, type Pipeline, startPipeline } from "./support/pipeline.js";

let p: Pipeline;

beforeAll(async () => {
  p = await startPipeline({ CAMPAIGN: "hist" });
});
afterAll(async () => {
  await p?.stop();
});

type History = { campaign: string; step: number; points: Array<[number, string, number]> };

async function history(query = ""): Promise<History> {
  const res = await fetch(`${p.base}/v1/history${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as History;
}

describe("history", () => {
  it("records per-second and per-minute points of the running total and serves them", async () => {
    await p.post(120_000);
    await p.post(30_000);
    const from = Math.floor(Date.now() / 1000) - 60;
    const seconds = await eventually(
      async () => {
        const h = await history(`?from=${from}&step=1`);
        return h.points.some((pt) => pt[1] === "150000") ? h : undefined;
      },
      10000,
      "a per-second point with the total",
    );
    expect(seconds.step).toBe(1);
    expect(seconds.campaign).toBe("hist");
    const last = seconds.points.at(-1)!;
    expect(last[2]).toBe(2);
    // Points are ordered and the cumulative total never goes down without refunds.
    for (let i = 1; i < seconds.points.length; i++) {
      expect(seconds.points[i]![0]).toBeGreaterThan(seconds.points[i - 1]![0]);
      expect(BigInt(seconds.points[i]![1])).toBeGreaterThanOrEqual(BigInt(seconds.points[i - 1]![1]));
    }
    const minutes = await history();
    expect(minutes.step).toBe(60);
    expect(minutes.points.at(-1)?.[1]).toBe("150000");
    expect(minutes.points.every((pt) => pt[0] % 60 === 0)).toBe(true);
  });

  it("writes one field per second and minute, so repeated writes and failovers add nothing", async () => {
    const keys = campaignKeys("hist", 8);
    const fields = await p.server.cli("hkeys", keys.history);
    const list = fields.split("\n").filter(Boolean);
    expect(new Set(list).size).toBe(list.length);
    expect(list.every((f) => /^[sm]:\d+$/.test(f))).toBe(true);
  });

  it("rejects a malformed query with a coded error", async () => {
    const res = await fetch(`${p.base}/v1/history?step=abc`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("INVALID_QUERY");
  });
});
