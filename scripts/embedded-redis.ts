// Starts a redis-server child for `npm start` when REDIS_URL is not set: AOF on, data under .data/redis.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { CodedError } from "../core/errors.js";
import { freePort } from "../core/free-port.js";

export interface EmbeddedRedis {
  readonly url: string;
  stop(): Promise<void>;
}

export class RedisBinaryMissingError extends CodedError {
  constructor() {
    super(
      "REDIS_BINARY_MISSING",
      "redis-server was not found on PATH. Install it (Debian/Ubuntu: `sudo apt-get install -y redis-server`, macOS: `brew install redis`) " +
        "or point the pipeline at an existing Redis with REDIS_URL=redis://host:6379.",
    );
  }
}

export async function startEmbeddedRedis(dataDir: string): Promise<EmbeddedRedis> {
  if (spawnSync("redis-server", ["--version"]).error) throw new RedisBinaryMissingError();
  mkdirSync(dataDir, { recursive: true });
  const dir = resolve(dataDir);
  const port = await freePort();
  const child: ChildProcess = spawn(
    "redis-server",
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--appendonly",
      "yes",
      "--appendfsync",
      "everysec",
      "--save",
      "",
      "--daemonize",
      "no",
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const deadline = Date.now() + 10000;
  while (
    spawnSync("redis-cli", ["-p", String(port), "ping"])
      .stdout?.toString()
      .trim() !== "PONG"
  ) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`embedded redis-server did not start on port ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}
