// Smoke runs of every benchmark with tiny parameters, as child processes: each writes a results JSON with rows and a baseline.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import type { BenchResult } from "../bench/lib/results.js";

const exec = promisify(execFile);
const out = mkdtempSync(join(tmpdir(), "bench-smoke-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

async function runBench(name: string, args: string[]): Promise<BenchResult> {
  await exec(process.execPath, ["--import", "tsx", `bench/${name}.ts`, "--out", out, ...args], {
    timeout: 50_000,
    env: { ...process.env, LOG_LEVEL: "silent" },
  });
  return JSON.parse(readFileSync(join(out, `${name}-latest.json`), "utf8")) as BenchResult;
}

function expectWellFormed(result: BenchResult, name: string): void {
  expect(result.benchmark).toBe(name);
  expect(result.machine.cores).toBeGreaterThan(0);
  expect(result.machine.node).toMatch(/^v\d+/);
  expect(result.machine.commit).not.toBe("");
  expect(result.rows.length).toBeGreaterThanOrEqual(2);
  const baselines = result.rows.filter((r) => r.baseline === undefined);
  expect(baselines.length).toBeGreaterThan(0);
  for (const row of result.rows.filter((r) => r.baseline !== undefined)) {
    expect(result.rows.some((b) => b.scenario === row.scenario && b.subject === row.baseline)).toBe(true);
    expect(row.metrics[result.primaryMetric.name]).toEqual(expect.any(Number));
  }
  expect(readFileSync(join(out, `${name}-latest.md`), "utf8")).toContain("× baseline");
}

describe.concurrent("benchmark smoke runs", () => {
  it("http compares the broadcaster with node:http", { timeout: 55_000 }, async () => {
    const result = await runBench("http", ["--duration", "1", "--connections", "5", "--pipelining", "2"]);
    expectWellFormed(result, "http");
    expect(result.rows.map((r) => r.subject)).toContain("node:http");
  });

  it("ingest compares the counter writer with naive INCRBY", { timeout: 55_000 }, async () => {
    const result = await runBench("ingest", [
      "--duration",
      "1",
      "--batch",
      "10",
      "--concurrency",
      "2",
      "--connections",
      "2",
      "--no-cluster",
    ]);
    expectWellFormed(result, "ingest");
    expect(result.rows.some((r) => r.subject.startsWith("CounterWriter"))).toBe(true);
  });

  it("fold compares a fold with one PING", { timeout: 55_000 }, async () => {
    const result = await runBench("fold", ["--duration", "1", "--shards", "16", "--no-cluster"]);
    expectWellFormed(result, "fold");
  });

  it("e2e measures ingest-to-viewer latency", { timeout: 55_000 }, async () => {
    const result = await runBench("e2e", ["--duration", "1", "--viewers", "20", "--rate", "100"]);
    expectWellFormed(result, "e2e");
    expect(result.rows.at(-1)?.metrics.missed).toBe(0);
  });

  it("fanout compares the uWS broadcaster with a ws relay", { timeout: 55_000 }, async () => {
    const result = await runBench("fanout", ["--duration", "1", "--viewers", "20"]);
    expectWellFormed(result, "fanout");
    expect(result.rows.at(-1)?.metrics.failedConnections).toBe(0);
  });
});
