// bench:fanout --find-capacity: for each number of broadcaster processes (sharing one port with SO_REUSEPORT), view
// and rate, adds viewers step by step (connections kept between steps) until p99 publish→receive passes the bound or
// delivery drops, then bisects between the last step that held and the first that did not. Stops at the open-file
// limit (20,000 per process) and says so. Prints the curve, writes it as JSON and as an SVG plot in bench/results/.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FanoutOptions } from "../fanout.js";
import { type FanoutFigures, measure, type SnapshotPublisher } from "./fanout-measure.js";
import { startSubject } from "./fanout-subjects.js";
import { note, withProgress } from "./progress.js";
import { type BenchResult, finishResult, startResult } from "./results.js";
import { lineChartSvg, type Series } from "./svg-plot.js";
import { ViewerFleet } from "./viewer-fleet.js";

/** Connections one broadcaster process takes: its 20,000 open files less Redis, the listen socket, stdio and Node's own. */
export const connectionsPerProcess = 19_900;
/** Refining steps between the last step under the bound and the first over it. */
const bisections = 2;

type LimitedBy = "latency bound" | "delivery" | "open files (20,000 per process)" | "--capacity-max";

interface Point extends FanoutFigures {
  pass: number;
}

async function searchSeries(
  options: FanoutOptions,
  redisUrl: string,
  publisher: SnapshotPublisher,
  campaign: string,
  processes: number,
  view: "counter" | "full",
  hz: number,
): Promise<{ points: Point[]; capacity: number; limitedBy: LimitedBy }> {
  const subject = await startSubject(
    { kind: "uws", redisUrl, campaign, view, hz, processes, maxConnections: connectionsPerProcess },
    options.publishHz,
  );
  const fleet = new ViewerFleet();
  publisher.start(options.publishHz);
  const fdCap = processes * connectionsPerProcess;
  const label = `${processes}p ${view} ${hz} Hz`;
  const points: Point[] = [];
  let connected = 0;
  const steps: Array<{ tag: string; count: number }> = [];
  const grow = async (to: number) => {
    const add = to - connected;
    if (add <= 0) return { failed: 0, firstError: undefined as string | undefined };
    const r = await withProgress(`${label}: connecting ${add} more (to ${to})`, add, fleet.connect(add, { host: "127.0.0.1", ...subject }));
    steps.push({ tag: r.tag, count: add - r.failed });
    connected += add - r.failed;
    return r;
  };
  const shrinkLast = () => {
    const last = steps.pop();
    if (last) {
      fleet.close(last.tag);
      connected -= last.count;
    }
  };
  const step = async (to: number) => {
    const { failed, firstError } = await grow(to);
    if (failed > 0) note(`${label}: ${failed} failed to connect (first: ${firstError})`);
    // Every viewer is past its first frame and in its phase before the window opens; the first step also waits out
    // the start of the viewer processes (tsx compiling, on the same 2 cores).
    await new Promise((r) => setTimeout(r, 1000 / hz + (points.length === 0 ? 2500 : 500)));
    const run = measure(subject, fleet, publisher, connected, { seconds: options.duration, publishHz: options.publishHz, hz });
    const { figures } = await withProgress(`${label}: ${connected} viewers`, options.duration * 1000, run);
    const refused = failed > 0 && /503/.test(firstError ?? "");
    const heldForConnected = figures.errors === 0 && figures.deliveredPct >= 99.5 && figures.p99Ms <= options.bound;
    const pass = failed === 0 && heldForConnected;
    points.push({ ...figures, pass: pass ? 1 : 0 });
    return { pass, refused, heldForConnected, figures };
  };
  try {
    let lastPass = 0;
    let firstFail = 0;
    let limitedBy: LimitedBy = "latency bound";
    for (let n = options.capacityStart; ; n = Math.ceil((n * options.capacityGrowth) / 500) * 500) {
      const target = Math.min(n, fdCap, options.capacityMax);
      const r = await step(target);
      if (r.refused && r.heldForConnected) {
        // A process at its connection cap answered 503 (SO_REUSEPORT hashes connections, so one process can fill
        // before the other): the viewers it did take are the capacity, since they were served within the bound.
        limitedBy = "open files (20,000 per process)";
        lastPass = connected;
        break;
      }
      // (Refused, and the viewers it did take were not served within the bound: latency binds first; bisect.)
      if (!r.pass) {
        firstFail = connected;
        limitedBy = r.figures.p99Ms > options.bound ? "latency bound" : "delivery";
        break;
      }
      lastPass = connected;
      if (target >= fdCap) {
        limitedBy = "open files (20,000 per process)";
        break;
      }
      if (target >= options.capacityMax) {
        limitedBy = "--capacity-max";
        break;
      }
    }
    for (let i = 0; i < bisections && firstFail > 0 && firstFail - lastPass > Math.max(500, lastPass * 0.05); i++) {
      shrinkLast();
      const mid = Math.round((lastPass + firstFail) / 2);
      const r = await step(mid);
      if (r.pass) lastPass = connected;
      else firstFail = connected;
    }
    return { points, capacity: lastPass, limitedBy };
  } finally {
    publisher.stop();
    await fleet.stop();
    await subject.stop();
  }
}

export async function runCapacity(
  options: FanoutOptions,
  redisUrl: string,
  publisher: SnapshotPublisher,
  campaign: string,
): Promise<BenchResult> {
  const started = Date.now();
  const result = startResult("fanout-capacity", { ...options }, { name: "p99Ms", higherIsBetter: false });
  const series: Series[] = [];
  const summary: string[] = [];
  for (const processes of options.capacityProcesses)
    for (const view of options.capacityViews as Array<"counter" | "full">)
      for (const hz of options.capacityHz) {
        const scenario = `${processes} broadcaster process${processes > 1 ? "es" : ""}, ${view} view, ${hz} Hz`;
        const { points, capacity, limitedBy } = await searchSeries(options, redisUrl, publisher, campaign, processes, view, hz);
        const sorted = [...points].sort((a, b) => a.viewers - b.viewers);
        const first = `${sorted[0]?.viewers ?? 0} viewers`;
        for (const p of sorted)
          result.rows.push({
            scenario,
            subject: `${p.viewers} viewers`,
            baseline: `${p.viewers} viewers` === first ? undefined : first,
            metrics: p,
          });
        series.push({
          label: `${processes}p ${view} ${hz} Hz: ${capacity.toLocaleString("en-US")}`,
          points: sorted.map((p) => [p.viewers, p.p99Ms]),
        });
        summary.push(`${scenario}: ${capacity.toLocaleString("en-US")} viewers (limited by ${limitedBy})`);
        if (view === "counter" && hz === 2 && (processes === 1 || processes === 2)) {
          const want = processes === 1 ? 19_000 : 40_000;
          result.targets.push({
            target: `capacity at p99 ≤ ${options.bound} ms, counter view, 2 Hz, ${processes} process${processes > 1 ? "es" : ""}: ≥ ${want.toLocaleString("en-US")}`,
            actual: `${capacity.toLocaleString("en-US")} viewers, limited by ${limitedBy}`,
            met: capacity >= want,
          });
        }
      }
  result.notes.push(
    ...summary,
    `Search: from ${options.capacityStart} viewers, ×${options.capacityGrowth} per step with connections kept, then ${bisections} bisections; a step holds when p99 ≤ ${options.bound} ms, deliveredPct ≥ 99.5, no errors and no failed connections. Each broadcaster process takes at most ${connectionsPerProcess.toLocaleString("en-US")} connections (20,000 open files per process); past that it answers 503 and the search reports the open-file limit, not a latency bound.`,
    "clientCpuPct is the load generator (all viewer processes) in % of one core: on this 2-core machine the client shares the CPUs with the server and Redis.",
  );
  const stamp = result.startedAt.replace(/[:.]/g, "-");
  const svg = lineChartSvg(`fanout capacity: p99 publish→receive vs viewers (bound ${options.bound} ms)`, "viewers", "p99 ms", series, {
    y: options.bound,
    label: `bound ${options.bound} ms`,
  });
  finishResult(result, started, options.out);
  for (const name of [`fanout-capacity-${stamp}.svg`, "fanout-capacity-latest.svg"]) writeFileSync(join(options.out, name), svg);
  process.stdout.write(`\n${summary.join("\n")}\nplot: ${join(options.out, "fanout-capacity-latest.svg")}\n`);
  return result;
}
