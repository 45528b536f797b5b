// CLI: npm run reconcile -- --file payments.jsonl [--rebuild] | --start-campaign. Compares the export with the counters,
// rebuilds on request, or starts a new campaign (its first epoch).
import { SingleBar } from "cli-progress";
import { Command } from "commander";
import { loadConfigOrExit } from "../core/config.js";
import { closeRedis, createRedis } from "../core/redis.js";
import { assertNoEviction, awaitRedis, RedisStartupError } from "../core/redis-startup.js";
import { openStore } from "../core/store/index.js";
import { reconcile } from "./compare.js";
import { readPaymentsExport } from "./export-file.js";
import { rebuildCounters, startCampaign } from "./rebuild.js";
import { formatSummary } from "./summary.js";

const program = new Command()
  .name("reconcile")
  .description("Compare a payments export (JSON Lines) with the live counters; optionally rebuild the counters from it.")
  .option("-f, --file <path>", "payments export, one event per line")
  .option("--rebuild", "rebuild the counters from the export under a new epoch", false)
  .option("--start-campaign", "start a new campaign: write its first epoch (before ingest opens); needs no export", false)
  .option("--no-progress", "no progress bars (for logs)")
  .parse();
const opts = program.opts<{ file?: string; rebuild: boolean; startCampaign: boolean; progress: boolean }>();

const config = loadConfigOrExit();

/**
 * Connects and checks the settings as the components do: wrong credentials or TLS stop it (exit 78, the code and the
 * setting named); so does an evicting maxmemory-policy when it writes (a rebuild's dedupe marks could be evicted and a
 * redelivered payment count twice), while a comparison only warns.
 */
async function connect(writes: boolean) {
  const redis = createRedis(config, { name: "reconcile" });
  try {
    if (!(await awaitRedis(redis, 10_000)))
      throw new Error("Redis not reachable after 10 s: check REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS");
    await assertNoEviction(redis, config).catch((err: unknown) => {
      if (writes || !(err instanceof RedisStartupError)) throw err;
      console.error(`warning: ${err.message} (a comparison only reads; --rebuild refuses)`);
    });
  } catch (err) {
    redis.disconnect();
    if (!(err instanceof RedisStartupError)) throw err;
    console.error(`${err.code}: ${err.message}`);
    process.exit(78);
  }
  return redis;
}

if (opts.startCampaign) {
  if (opts.file !== undefined || opts.rebuild) program.error("--start-campaign takes no --file or --rebuild");
  const redis = await connect(true);
  try {
    const result = await startCampaign(openStore(redis, config), config);
    if (result.outcome === "refused") {
      console.error(`Not started: ${result.reason}`);
      process.exitCode = 2;
    } else
      console.log(`Campaign ${config.campaign} ${result.outcome === "started" ? "started" : "was already started"}: epoch ${result.epoch}`);
  } finally {
    await closeRedis(redis);
  }
  process.exit();
}
const exportPath = opts.file ?? program.error("required option '-f, --file <path>' not specified (or use --start-campaign)");
const bar = (title: string) =>
  new SingleBar({ format: `${title.padEnd(16)} [{bar}] {percentage}% | {value}/{total}`, stream: process.stderr, noTTYOutput: false });
const progress = opts.progress && process.stderr.isTTY;

const readBar = bar("reading export");
if (progress) readBar.start(1, 0);
const file = await readPaymentsExport(exportPath, config, (read, total) => {
  if (progress) {
    readBar.setTotal(total);
    readBar.update(read);
  }
});
if (progress) readBar.stop();
for (const p of file.problems.slice(0, 20)) console.error(`line ${p.line}: ${p.message}`);
const exportNote = `${file.lines} lines, ${file.events.size} distinct events, ${file.repeated} repeated, ${file.problems.length} invalid`;

const redis = await connect(opts.rebuild);
try {
  const store = openStore(redis, config);
  const compare = async () => {
    const marks = await store.dedupeMarks.read(config.campaign);
    return reconcile(file.events, marks, await store.totals.read(config.campaign));
  };
  const unfinished = await store.rebuild.unfinished(config.campaign);
  if (unfinished !== undefined)
    console.log(
      `A rebuild started at ${unfinished.startedAt} (${unfinished.token}) has not finished: ingest is fenced (REBUILD_IN_PROGRESS) ` +
        `and the aggregator is not publishing.${opts.rebuild ? " Resuming it." : " Run with --rebuild to finish it."}\n`,
    );
  const before = await compare();
  console.log(formatSummary(config.campaign, before, exportNote));
  let exitCode = before.matches ? 0 : 2;
  if (opts.rebuild) {
    const replayBar = bar("rebuilding");
    if (progress) replayBar.start(file.events.size, 0);
    const result = await rebuildCounters(store, config, [...file.events.values()], (n) => progress && replayBar.update(n));
    if (progress) replayBar.stop();
    console.log(
      `\nRebuilt: ${result.counted} events counted, ${result.deletedKeys} old dedupe marks removed, epoch ${result.previousEpoch ?? "(none: state was lost)"} -> ${result.epoch}` +
        (result.resumed ? ` (finished the rebuild started at ${result.resumed.startedAt})` : ""),
    );
    const after = await compare();
    console.log(formatSummary(config.campaign, after, "after the rebuild"));
    exitCode = after.matches ? 0 : 2;
  }
  process.exitCode = exitCode;
} finally {
  await closeRedis(redis);
}
