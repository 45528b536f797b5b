// http benchmark: autocannon against GET /v1/total on the broadcaster and, in the same run, a node:http server serving the same bytes.
import { RedisServer } from "../test/support/redis-server.js";
import { type ChildServer, startChild } from "./lib/child.js";
import { benchCommand, hasCommand, int, isMain, runMain } from "./lib/cli.js";
import { runLoad } from "./lib/load.js";
import { note } from "./lib/progress.js";
import { type BenchResult, computeRatios, finishResult, startResult } from "./lib/results.js";

export interface HttpOptions {
  readonly duration: number;
  readonly connections: number;
  readonly pipelining: number;
  readonly url: string | undefined;
  readonly out: string;
}

const copiedHeaders = ["content-type", "etag", "cache-control", "access-control-allow-origin"];

export async function runHttp(options: HttpOptions): Promise<BenchResult> {
  const started = Date.now();
  const result = startResult("http", { ...options }, { name: "reqPerSec", higherIsBetter: true });
  const owned: Array<{ stop(): Promise<void> }> = [];
  try {
    let url = options.url;
    if (url === undefined) {
      note("starting redis-server and the broadcaster (with an aggregator) ...");
      const redis = await RedisServer.start();
      owned.push(redis);
      const stack: ChildServer = await startChild("broadcaster", { REDIS_URL: redis.url, CAMPAIGN: "bench", HEARTBEAT_MS: "60000" });
      owned.unshift(stack);
      url = `http://127.0.0.1:${stack.info.port}/v1/total`;
    }
    const sample = await fetch(url);
    if (sample.status !== 200) throw new Error(`GET ${url} answered ${sample.status}`);
    const body = Buffer.from(await sample.arrayBuffer());
    const headers: Record<string, string> = {};
    for (const name of copiedHeaders) {
      const value = sample.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    const baseline = await startChild("node-http", { BODY_BASE64: body.toString("base64"), HEADERS_JSON: JSON.stringify(headers) });
    owned.unshift(baseline);
    const baselineUrl = `http://127.0.0.1:${baseline.info.port}/v1/total`;

    for (const pipelining of [...new Set([1, options.pipelining])]) {
      const scenario = `${options.connections} conns, pipelining ${pipelining}`;
      const load = { connections: options.connections, pipelining, durationSeconds: options.duration };
      const base = await runLoad(`node:http  p=${pipelining}`, { ...load, url: baselineUrl });
      result.rows.push({ scenario, subject: "node:http", baseline: undefined, metrics: base });
      const uws = await runLoad(`broadcaster p=${pipelining}`, { ...load, url });
      result.rows.push({ scenario, subject: "broadcaster /v1/total", baseline: "node:http", metrics: uws });
    }
    result.notes.push(
      `Response body ${body.length} bytes, headers copied to the baseline: ${Object.keys(headers).join(", ")}.`,
      "autocannon runs in this process, one thread; without pipelining it tops out near 50k req/s on this machine against any server, so server capacity shows only with pipelining.",
      hasCommand("wrk")
        ? "wrk is installed but not driven yet: run `wrk -t2 -c100 -d10s <url>` by hand for a second client."
        : "wrk is not installed: skipped (optional; autocannon figures only).",
    );
    const noPipe = result.rows.find((r) => r.subject.startsWith("broadcaster") && r.scenario.endsWith("pipelining 1"));
    const rps = noPipe?.metrics.reqPerSec ?? 0;
    result.targets.push({ target: "≥ 60,000 req/s without pipelining", actual: `${rps} req/s`, met: rps >= 60000 });
    computeRatios(result);
    const best = Math.max(0, ...result.rows.map((r) => r.ratio ?? 0));
    result.targets.push({ target: "≥ 1.5× node:http", actual: `${Math.round(best * 100) / 100}× (best scenario)`, met: best >= 1.5 });
  } finally {
    for (const o of owned) await o.stop().catch(() => undefined);
  }
  finishResult(result, started, options.out);
  return result;
}

export function httpCommand() {
  return benchCommand("http", "autocannon against GET /v1/total (uWS broadcaster) vs a node:http server serving the same bytes", 5)
    .option("-c, --connections <n>", "concurrent connections", int, 100)
    .option("-p, --pipelining <n>", "pipelined requests per connection for the second pass (1 = only the first)", int, 10)
    .option("--url <url>", "target this /v1/total instead of starting Redis and a broadcaster");
}

if (isMain(import.meta.url)) {
  const options = httpCommand().parse().opts<HttpOptions>();
  runMain(() => runHttp(options));
}
