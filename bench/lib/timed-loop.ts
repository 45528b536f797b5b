// Runs a step from several concurrent loops for a fixed time and reports units per second and step latency.
import { LatencyRecorder, type LatencySummary, nowMs } from "./histogram.js";
import { withProgress } from "./progress.js";

export interface LoopFigures extends Record<string, number> {
  readonly perSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** step() does one unit of work and resolves with how many units (events) it handled. */
export async function timedLoop(label: string, durationMs: number, concurrency: number, step: () => Promise<number>): Promise<LoopFigures> {
  const latency = new LatencyRecorder();
  const started = nowMs();
  const end = started + durationMs;
  let units = 0;
  const loop = async () => {
    while (nowMs() < end) {
      const t0 = nowMs();
      // Not `units += await step()`: that reads units before the await and drops the other loops' additions.
      const handled = await step();
      units += handled;
      latency.recordMs(nowMs() - t0);
    }
  };
  await withProgress(label, durationMs, Promise.all(Array.from({ length: concurrency }, loop)));
  const seconds = (nowMs() - started) / 1000;
  const s: LatencySummary = latency.summary();
  return { perSec: Math.round(units / seconds), p50Ms: s.p50Ms, p99Ms: s.p99Ms, maxMs: s.maxMs };
}
