// Starts throwaway redis-server processes on free ports for tests (single node, AOF node, 3-master cluster).
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

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
    if (this.options.args) args.push(...this.options.args);
    if (this.options.cluster)
      args.push("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000");
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

  static async start(masters = 3, options: { aof?: boolean } = {}): Promise<RedisCluster> {
    const nodes = await Promise.all(Array.from({ length: masters }, () => RedisServer.start({ cluster: true, aof: options.aof ?? false })));
    const cluster = new RedisCluster(nodes);
    await exec("redis-cli", [
      "--cluster",
      "create",
      ...nodes.map((n) => `127.0.0.1:${n.port}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    const deadline = Date.now() + 15000;
    for (;;) {
      const states = await Promise.all(nodes.map((n) => n.cli("cluster", "info")));
      if (states.every((s) => s.includes("cluster_state:ok"))) return cluster;
      if (Date.now() > deadline) throw new Error("cluster did not reach cluster_state:ok");
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}
