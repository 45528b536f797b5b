// Runs every benchmark in turn with its defaults (or a shared --duration), then prints where the results went.
import { Command } from "commander";
import { runE2e } from "./e2e.js";
import { type FanoutOptions, fanoutCommand, runFanout } from "./fanout.js";
import { runFold } from "./fold.js";
import { runHttp } from "./http.js";
import { runIngest } from "./ingest.js";
import { runMain } from "./lib/cli.js";
import { defaultResultsDir } from "./lib/results.js";

const program = new Command("bench")
  .description("runs the http, ingest, fold, e2e and fanout benchmarks")
  .option("-d, --duration <seconds>", "length of each measured phase (default: each benchmark's own)", Number)
  .option("-o, --out <dir>", "where JSON and Markdown results are written", defaultResultsDir)
  .option("--only <names>", "comma-separated subset: http,ingest,fold,e2e,fanout")
  .parse();
const opts = program.opts<{ duration?: number; out: string; only?: string }>();
const only = opts.only?.split(",").map((s) => s.trim());
const wanted = (name: string) => only === undefined || only.includes(name);
const d = (fallback: number) => opts.duration ?? fallback;

runMain(async () => {
  if (wanted("http")) await runHttp({ duration: d(5), connections: 100, pipelining: 10, url: undefined, out: opts.out });
  if (wanted("ingest"))
    await runIngest({
      duration: d(3),
      batch: 100,
      concurrency: 8,
      shards: 64,
      cluster: true,
      gateway: true,
      connections: 20,
      out: opts.out,
    });
  if (wanted("fold")) await runFold({ duration: d(4), shards: [16, 64, 256, 1024], cluster: true, out: opts.out });
  if (wanted("e2e")) await runE2e({ duration: d(5), rate: 1000, viewers: 1000, out: opts.out });
  if (wanted("fanout")) {
    const defaults = fanoutCommand().parse(["node", "fanout"]).opts<FanoutOptions>();
    await runFanout({ ...defaults, duration: d(5), out: opts.out });
  }
  process.stderr.write(`results in ${opts.out}\n`);
});
