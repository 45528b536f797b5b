// Redis's own ceiling for the counting script: redis-benchmark running EVALSHA of count-payment-2.lua against the same server.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import type { RedisServer } from "../../test/support/redis-server.js";
import { hasCommand } from "./cli.js";

const exec = promisify(execFile);
const scriptPath = new URL("../../core/lua/count-payment-2.lua", import.meta.url);

/**
 * EVALSHA calls per second that redis-benchmark reaches (50 clients, pipeline 16, random payment ids in one
 * shard), or undefined when redis-benchmark is not installed.
 */
export async function evalshaCeiling(server: RedisServer, durationSeconds: number, campaign: string): Promise<number | undefined> {
  if (!hasCommand("redis-benchmark")) return undefined;
  const sha = await server.cli("script", "load", readFileSync(scriptPath, "utf8"));
  // redis-benchmark has no duration flag: size the run for roughly durationSeconds at ~150k calls/s.
  const requests = Math.max(10_000, Math.round(durationSeconds * 150_000));
  const tag = `sc:{${campaign}:0}`;
  const { stdout } = await exec(
    "redis-benchmark",
    [
      "-p",
      String(server.port),
      "-c",
      "50",
      "-P",
      "16",
      "-r",
      "100000000",
      "-n",
      String(requests),
      "--csv",
      "EVALSHA",
      sha,
      "2",
      `${tag}:seen:__rand_int__`,
      `${tag}:c`,
      "10000",
      "payment",
      "2592000",
      "",
      "",
    ],
    { timeout: (durationSeconds + 60) * 1000 },
  );
  const row = stdout.trim().split("\n").at(-1) ?? "";
  const rps = Number(row.split(",")[1]?.replaceAll('"', ""));
  return Number.isFinite(rps) && rps > 0 ? Math.round(rps) : undefined;
}
