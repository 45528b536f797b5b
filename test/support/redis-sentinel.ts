// A Redis Sentinel set for failover tests: 1 primary, 2 replicas and 3 Sentinels (`redis-server <conf> --sentinel`) on free
// ports, with a 1 s down-after so a SIGKILLed primary is replaced within a few seconds.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, RedisServer } from "./redis-server.js";

const exec = promisify(execFile);
export const sentinelMasterName = "mymaster";

class Sentinel {
  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
  ) {}

  static async start(dir: string, primaryPort: number): Promise<Sentinel> {
    const port = await freePort();
    const file = join(dir, `sentinel-${port}.conf`);
    // Sentinel rewrites its configuration file (it records the replicas and the other Sentinels it finds).
    writeFileSync(
      file,
      [
        `port ${port}`,
        "bind 127.0.0.1",
        "protected-mode no",
        "daemonize no",
        `dir ${dir}`,
        `sentinel monitor ${sentinelMasterName} 127.0.0.1 ${primaryPort} 2`,
        `sentinel down-after-milliseconds ${sentinelMasterName} 1000`,
        `sentinel failover-timeout ${sentinelMasterName} 5000`,
        `sentinel parallel-syncs ${sentinelMasterName} 2`,
        "",
      ].join("\n"),
    );
    const child = spawn("redis-server", [file, "--sentinel"], { stdio: "ignore" });
    const sentinel = new Sentinel(port, child);
    await sentinel.waitFor(async () => (await sentinel.cli("ping")) === "PONG", "to answer");
    return sentinel;
  }

  async cli(...args: string[]): Promise<string> {
    const { stdout } = await exec("redis-cli", ["-p", String(this.port), ...args]);
    return stdout.trim();
  }

  /** The port of the primary this Sentinel reports now. */
  async primaryPort(): Promise<number> {
    const [, port] = (await this.cli("sentinel", "get-master-addr-by-name", sentinelMasterName)).split("\n");
    return Number(port);
  }

  async waitFor(probe: () => Promise<boolean>, what: string, timeoutMs = 20000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await probe().catch(() => false)) return;
      if (Date.now() > deadline) throw new Error(`sentinel ${this.port} did not come ${what} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      this.child.once("exit", () => resolve());
      this.child.kill("SIGKILL");
    });
  }
}

export class RedisSentinelSet {
  private constructor(
    readonly servers: RedisServer[],
    private readonly sentinels: Sentinel[],
    private readonly dir: string,
  ) {}

  /** 1 primary, 2 replicas in sync, 3 Sentinels that know the replicas and each other (so they can elect a leader). */
  static async start(): Promise<RedisSentinelSet> {
    const dir = mkdtempSync(join(tmpdir(), "sc-sentinel-"));
    const primary = await RedisServer.start();
    const replicas = await Promise.all([0, 1].map(() => RedisServer.start({ replicaOf: primary.port })));
    await Promise.all(replicas.map((r) => r.waitForSync()));
    const sentinels = await Promise.all([0, 1, 2].map(() => Sentinel.start(dir, primary.port)));
    const set = new RedisSentinelSet([primary, ...replicas], sentinels, dir);
    await Promise.all(
      sentinels.map(async (s) => {
        await s.waitFor(async () => countEntries(await s.cli("sentinel", "replicas", sentinelMasterName)) === 2, "to see 2 replicas");
        await s.waitFor(async () => countEntries(await s.cli("sentinel", "sentinels", sentinelMasterName)) === 2, "to see the 2 others");
      }),
    );
    return set;
  }

  /** REDIS_SENTINELS / REDIS_SENTINEL_NAME for components. */
  get env(): Record<string, string> {
    return { REDIS_SENTINELS: this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(","), REDIS_SENTINEL_NAME: sentinelMasterName };
  }

  /** The server the Sentinels report as primary now. */
  async primary(): Promise<RedisServer> {
    const port = await this.sentinels[0]!.primaryPort();
    const server = this.servers.find((s) => s.port === port);
    if (!server) throw new Error(`the Sentinels report an unknown primary on ${port}`);
    return server;
  }

  replicasOf(primary: RedisServer): RedisServer[] {
    return this.servers.filter((s) => s !== primary);
  }

  /** Resolves with the new primary once every Sentinel reports one other than `old`. */
  async waitForFailover(old: RedisServer, timeoutMs = 20000): Promise<RedisServer> {
    await Promise.all(
      this.sentinels.map((s) => s.waitFor(async () => (await s.primaryPort()) !== old.port, "to a new primary", timeoutMs)),
    );
    return this.primary();
  }

  async stop(): Promise<void> {
    await Promise.all(this.sentinels.map((s) => s.stop()));
    await Promise.all(this.servers.map((s) => s.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** SENTINEL REPLICAS / SENTINELS answer one block of field/value lines per entry, each starting with "name". */
function countEntries(reply: string): number {
  return reply.split("\n").filter((line) => line === "name").length;
}
