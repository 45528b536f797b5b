// Smoke runs of every benchmark with tiny parameters, as child processes: each writes a results JSON with rows and a baseline.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { hasCommand } from "../bench/lib/cli.js";
import type { BenchResult } from "../bench/lib/results.js";

const exec = promisify(execFile);
const out = mkdtempSync(join(tmpdir(), "bench-smoke-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

async function runBench(name: string, args: string[], result = name, timeout = 50_000): Promise<BenchResult> {
  await exec(process.execPath, ["--import", "tsx", `bench/${name}.ts`, "--out", out, ...args], {
    timeout,
    env: { ...process.env, LOG_LEVEL: "silent" },
  });
  return JSON.parse(readFileSync(join(out, `${result}-latest.json`), "utf8")) as BenchResult;
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

  it("fanout compares the uWS broadcaster with the ws relay, Socket.IO and Go (when installed), and reports egress", {
    timeout: 100_000,
  }, async () => {
    const result = await runBench("fanout", ["--duration", "1", "--viewers", "20", "--egress-viewers", "5"], "fanout", 95_000);
    expectWellFormed(result, "fanout");
    const subjects = result.rows.map((r) => r.subject);
    for (const s of [
      "ws relay, counter view",
      "uWS broadcaster, counter view",
      "uWS broadcaster, full view",
      "Socket.IO 4 + redis-adapter, counter view",
    ])
      expect(subjects).toContain(s);
    if (hasCommand("go")) expect(subjects).toContain("Go net/http + gorilla/websocket, counter view");
    else expect(result.notes.join(" ")).toMatch(/Go is not installed/);
    for (const row of result.rows.filter((r) => r.scenario !== "egress per viewer")) {
      expect(row.metrics.failedConnections).toBe(0);
      expect(row.metrics.deliveredPct).toBeGreaterThan(0);
    }
    const egress = result.rows.filter((r) => r.scenario === "egress per viewer");
    expect(egress.map((r) => r.subject)).toContain("counter view, 2 Hz");
    expect(egress.every((r) => (r.metrics.bytesPerViewerSecond ?? 0) > 0)).toBe(true);
  });

  it("fanout --find-capacity searches viewers per broadcaster and writes the curve as JSON and SVG", { timeout: 100_000 }, async () => {
    const args = ["--find-capacity", "--duration", "1", "--capacity-start", "10", "--capacity-max", "20", "--capacity-hz", "2"];
    const result = await runBench(
      "fanout",
      [...args, "--capacity-views", "counter", "--capacity-processes", "1,2"],
      "fanout-capacity",
      95_000,
    );
    expectWellFormed(result, "fanout-capacity");
    expect(new Set(result.rows.map((r) => r.scenario)).size).toBe(2);
    expect(result.targets.map((t) => t.target).join(" ")).toContain("2 processes");
    expect(readFileSync(join(out, "fanout-capacity-latest.svg"), "utf8")).toMatch(/^<svg[^>]*>[\s\S]*<polyline/);
  });
});
