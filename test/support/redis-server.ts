// Starts throwaway redis-server processes on free ports for tests (single node, AOF node, replica, 3-master cluster with
// or without one replica per master). The Sentinel set is in redis-sentinel.ts.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../../core/free-port.js";

export { freePort };

const exec = promisify(execFile);

export interface RedisServerOptions {
  /** Append-only file with fsync always, for crash tests. */
  readonly aof?: boolean;
  readonly cluster?: boolean;
  readonly port?: number;
  readonly dir?: string;
  /** TLS only (no plain port): the server's certificate, key and the CA that signed it (PEM files). */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly caFile: string };
  /** requirepass: clients must AUTH with it. */
  readonly password?: string;
  /** More redis-server arguments, e.g. ["--maxmemory-policy", "volatile-lru"]. */
  readonly args?: readonly string[];
  /** Port of a primary on 127.0.0.1 to replicate (REPLICAOF). */
  readonly replicaOf?: number;
  /** cluster-node-timeout (default 2000 ms): how soon a dead master's replica is promoted. */
  readonly clusterNodeTimeoutMs?: number;
}

export class RedisServer {
  private child: ChildProcess | undefined;
  readonly dir: string;
  readonly ownsDir: boolean;

  private constructor(
    readonly port: number,
    private readonly options: RedisServerOptions,
  ) {
    this.ownsDir = options.dir === undefined;
    this.dir = options.dir ?? mkdtempSync(join(tmpdir(), "sc-redis-"));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const server = new RedisServer(options.port ?? (await freePort()), options);
    await server.spawn();
    return server;
  }

  private async spawn(): Promise<void> {
    const args = [
      "--port",
      String(this.port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--dir",
      this.dir,
      "--daemonize",
      "no",
      "--protected-mode",
      "no",
    ];
    if (this.options.aof) args.push("--appendonly", "yes", "--appendfsync", "always");
    else args.push("--appendonly", "no");
    if (this.options.tls) {
      const { certFile, keyFile, caFile } = this.options.tls;
      args.splice(args.indexOf("--port"), 2, "--port", "0", "--tls-port", String(this.port));
      args.push("--tls-cert-file", certFile, "--tls-key-file", keyFile, "--tls-ca-cert-file", caFile, "--tls-auth-clients", "no");
    }
    if (this.options.password !== undefined) args.push("--requirepass", this.options.password);
    // Replicas sync at once (Redis 7 waits 5 s for more replicas before a diskless sync by default).
    args.push("--repl-diskless-sync-delay", "0");
    if (this.options.replicaOf !== undefined) args.push("--replicaof", "127.0.0.1", String(this.options.replicaOf));
    if (this.options.args) args.push(...this.options.args);
    if (this.options.cluster) {
      const timeout = String(this.options.clusterNodeTimeoutMs ?? 2000);
      args.push("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", timeout);
    }
    this.child = spawn("redis-server", args, { stdio: "ignore" });
    await this.waitForPing();
  }

  private async waitForPing(): Promise<void> {
    const deadline = Date.now() + 10000;
    for (;;) {
      try {
        const { stdout } = await exec("redis-cli", [...this.cliArgs(), "ping"]);
        if (stdout.trim() === "PONG") return;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`redis-server on ${this.port} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** redis-cli's connection arguments for this server (port, TLS, password). */
  private cliArgs(): string[] {
    const args = ["-p", String(this.port)];
    if (this.options.tls) args.push("--tls", "--cacert", this.options.tls.caFile);
    if (this.options.password !== undefined) args.push("-a", this.options.password, "--no-auth-warning");
    return args;
  }

  /** Runs redis-cli against this server and returns its output. */
  async cli(...args: string[]): Promise<string> {
    const { stdout } = await exec("redis-cli", [...this.cliArgs(), ...args]);
    return stdout.trim();
  }

  /** SIGKILL, as a crash: nothing is flushed beyond what the AOF already holds. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  }

  /** SIGSTOP / SIGCONT: a frozen server keeps its connections but answers nothing (a replica that stops acknowledging). */
  pause(): void {
    this.child?.kill("SIGSTOP");
  }

  resume(): void {
    this.child?.kill("SIGCONT");
  }

  /** "master" or "slave" (ROLE). */
  async role(): Promise<string> {
    return (await this.cli("role")).split("\n")[0] ?? "";
  }

  /** Resolves once this replica's link to its primary is up and the first sync is done. */
  async waitForSync(timeoutMs = 15000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!/master_link_status:up/.test(await this.cli("info", "replication"))) {
      if (Date.now() > deadline) throw new Error(`replica on ${this.port} did not sync`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Starts again on the same port and directory (AOF is replayed if enabled). */
  async restart(): Promise<void> {
    await this.kill();
    await this.spawn();
  }

  async stop(): Promise<void> {
    await this.kill();
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

export class RedisCluster {
  private constructor(readonly nodes: RedisServer[]) {}

  get nodeList(): Array<{ host: string; port: number }> {
    return this.nodes.map((n) => ({ host: "127.0.0.1", port: n.port }));
  }

  /** The REDIS_CLUSTER_NODES value for this cluster. */
  get envValue(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`).join(",");
  }

  /**
   * `masters` masters, and with `replicas: 1` one replica each (redis-cli --cluster create --cluster-replicas 1), which
   * Redis Cluster promotes when its master is unreachable for cluster-node-timeout.
   */
  static async start(masters = 3, options: { aof?: boolean; replicas?: 0 | 1; nodeTimeoutMs?: number } = {}): Promise<RedisCluster> {
    const replicas = options.replicas ?? 0;
    const count = masters * (1 + replicas);
    const nodes = await Promise.all(
      Array.from({ length: count }, () =>
        RedisServer.start({ cluster: true, aof: options.aof ?? false, clusterNodeTimeoutMs: options.nodeTimeoutMs }),
      ),
    );
    const cluster = new RedisCluster(nodes);
    await exec("redis-cli", [
      "--cluster",
      "create",
      ...nodes.map((n) => `127.0.0.1:${n.port}`),
      "--cluster-replicas",
      String(replicas),
      "--cluster-yes",
    ]);
    const deadline = Date.now() + 20000;
    for (;;) {
      const states = await Promise.all(nodes.map((n) => n.cli("cluster", "info")));
      if (states.every((s) => s.includes("cluster_state:ok"))) break;
      if (Date.now() > deadline) throw new Error("cluster did not reach cluster_state:ok");
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const node of nodes) if ((await node.role()) === "slave") await node.waitForSync();
    return cluster;
  }

  /** The nodes that are masters now (a promoted replica is one). */
  async masters(): Promise<RedisServer[]> {
    const roles = await Promise.all(this.nodes.map((n) => n.role().catch(() => "down")));
    return this.nodes.filter((_, i) => roles[i] === "master");
  }

  /** The master that serves `key`'s slot now (CLUSTER KEYSLOT, then CLUSTER NODES). */
  async masterOf(key: string): Promise<RedisServer> {
    const alive = (await this.masters())[0];
    if (!alive) throw new Error("no master");
    const slot = Number(await alive.cli("cluster", "keyslot", key));
    const lines = (await alive.cli("cluster", "nodes")).split("\n");
    for (const line of lines) {
      // <id> <ip:port@cport> <flags> <master> <ping-sent> <pong-recv> <config-epoch> <link-state> <slot> ...
      const parts = line.split(" ");
      const [address, flags, slots] = [parts[1], parts[2], parts.slice(8)];
      if (!flags?.includes("master") || flags.includes("fail")) continue;
      for (const range of slots) {
        const [start, end] = range.split("-").map(Number);
        if (start !== undefined && slot >= start && slot <= (end ?? start)) {
          const port = Number(address?.split("@")[0]?.split(":")[1]);
          const node = this.nodes.find((n) => n.port === port);
          if (node) return node;
        }
      }
    }
    throw new Error(`no master serves slot ${slot}`);
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}
