// wrk (a C load generator, Debian package `wrk`) driven as a child process: a Lua script adds pipelining and
// prints its summary and latency percentiles as one JSON line, reduced to the same figures autocannon gives.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LoadFigures } from "./load.js";
import { withProgress } from "./progress.js";

export interface WrkOptions {
  readonly url: string;
  readonly connections: number;
  /** wrk threads; on 2 cores, 1 leaves the other core to the server. */
  readonly threads: number;
  readonly pipelining: number;
  readonly durationSeconds: number;
  readonly headers?: Readonly<Record<string, string>>;
}

const marker = "WRK_JSON ";

// wrk's latency figures are in microseconds. Without pipelining no request() is defined, so wrk keeps its
// static (fastest) request path; with pipelining each write is `depth` copies of the request.
const script = `
local depth = tonumber(os.getenv("WRK_PIPELINING") or "1")
if depth > 1 then
  local batch
  init = function(args)
    local parts = {}
    for i = 1, depth do parts[i] = wrk.format() end
    batch = table.concat(parts)
  end
  request = function() return batch end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '${marker}{"requests":%d,"durationUs":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
`;

interface WrkSummary {
  readonly requests: number;
  readonly durationUs: number;
  readonly connect: number;
  readonly read: number;
  readonly write: number;
  readonly status: number;
  readonly timeout: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly maxUs: number;
}

function spawnWrk(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("wrk", args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.once("error", reject);
    child.once("close", (code) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`wrk ${args.join(" ")} exited with ${code}: ${stderr.trim() || stdout.trim()}`));
    });
  });
}

const ms = (us: number) => Math.round(us) / 1000;

/** Runs wrk for durationSeconds with a progress bar; throws if wrk fails or prints no summary. */
/** LoadFigures without the percentiles when they are not meaningful (pipelining). */
export type WrkFigures = Omit<LoadFigures, "p50Ms" | "p99Ms"> & { readonly p50Ms?: number; readonly p99Ms?: number };

export async function runWrk(label: string, options: WrkOptions): Promise<WrkFigures> {
  const dir = mkdtempSync(join(tmpdir(), "bench-wrk-"));
  try {
    const scriptPath = join(dir, "report.lua");
    writeFileSync(scriptPath, script);
    const threads = Math.max(1, Math.min(options.threads, options.connections));
    const args = ["-t", String(threads), "-c", String(options.connections), "-d", `${options.durationSeconds}s`, "-s", scriptPath];
    for (const [name, value] of Object.entries(options.headers ?? {})) args.push("-H", `${name}: ${value}`);
    args.push(options.url);
    const env = { ...process.env, WRK_PIPELINING: String(options.pipelining) };
    const stdout = await withProgress(label, options.durationSeconds * 1000, spawnWrk(args, env));
    const line = stdout.split("\n").find((l) => l.startsWith(marker));
    if (line === undefined) throw new Error(`wrk printed no summary:\n${stdout}`);
    const s = JSON.parse(line.slice(marker.length)) as WrkSummary;
    const reqPerSec = Math.round(s.requests / Math.max(s.durationUs / 1e6, 0.001));
    // wrk counts responses with status > 399 as status errors (a 304 is not one).
    const errors = { non2xx: s.status, errors: s.connect + s.read + s.write + s.timeout };
    // wrk records one latency per write (a whole pipelined batch) but corrects for coordinated omission with an
    // interval computed per response, so with pipelining it invents samples (p99 of hundreds of ms, or 0 when the
    // invented ones fall below its minimum). Only the raw maximum is meaningful then.
    if (options.pipelining > 1) return { reqPerSec, maxMs: ms(s.maxUs), ...errors };
    return { reqPerSec, p50Ms: ms(s.p50Us), p99Ms: ms(s.p99Us), maxMs: ms(s.maxUs), ...errors };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
