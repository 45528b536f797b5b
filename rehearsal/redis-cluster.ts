// The fleet's Redis Cluster: 3 masters with 1 replica each, a node timeout short enough that a replica is promoted
// within a few seconds of its master's death, AOF everysec as a production node would run.
import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../core/free-port.js";
import { sleep } from "../core/timeout.js";
import { type ControlledProcess, FleetProcess, logFileIn } from "./processes.js";

const exec = promisify(execFile);

export const clusterNodeTimeoutMs = 2000;

export interface ClusterNode {
  readonly port: number;
  readonly process: ControlledProcess;
}

export class FleetRedisCluster {
  constructor(readonly nodes: readonly ClusterNode[]) {}

  /** REDIS_CLUSTER_NODES for the components: every node, so a client finds the cluster whichever is down. */
  get seeds(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`).join(",");
  }

  cli(port: number, ...args: string[]): Promise<string> {
    return exec("redis-cli", ["-p", String(port), ...args], { timeout: 5000 }).then((r) => r.stdout.trim());
  }

  /** Each node's role now ("master"/"slave") and, for replicas, the port of their master. */
  async roles(): Promise<Array<{ port: number; role: string; masterPort?: number; up: boolean }>> {
    const out = [];
    for (const node of this.nodes) {
      if (!node.process.running) {
        out.push({ port: node.port, role: "down", up: false });
        continue;
      }
      try {
        const info = await this.cli(node.port, "info", "replication");
        const role = /role:(\w+)/.exec(info)?.[1] ?? "unknown";
        const masterPort = Number(/master_port:(\d+)/.exec(info)?.[1] ?? Number.NaN);
        out.push({ port: node.port, role, up: true, ...(Number.isFinite(masterPort) ? { masterPort } : {}) });
      } catch {
        out.push({ port: node.port, role: "unreachable", up: false });
      }
    }
    return out;
  }

  /** A master that currently has a connected replica (what the drill kills). */
  async masterWithReplica(): Promise<ClusterNode | undefined> {
    const roles = await this.roles();
    const masters = roles.filter((r) => r.role === "master");
    const port = masters.find((m) => roles.some((r) => r.role === "slave" && r.masterPort === m.port))?.port;
    return this.nodes.find((n) => n.port === port);
  }

  /** Resolves when every live node says cluster_state:ok. */
  async waitHealthy(timeoutMs = 30000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const live = this.nodes.filter((n) => n.process.running);
      const states = await Promise.all(live.map((n) => this.cli(n.port, "cluster", "info").catch(() => "")));
      if (states.length > 0 && states.every((s) => s.includes("cluster_state:ok"))) return;
      if (Date.now() > deadline) throw new Error("Redis Cluster did not reach cluster_state:ok");
      await sleep(200);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.process.stop(2000)));
  }
}

function redisArgs(dir: string, port: number): string[] {
  return [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    "yes",
    "--appendfsync",
    "everysec",
    "--maxmemory-policy",
    "noeviction",
    "--cluster-enabled",
    "yes",
    "--cluster-config-file",
    "nodes.conf",
    "--cluster-node-timeout",
    String(clusterNodeTimeoutMs),
    // A replica that lost its master long ago may still be promoted: a rehearsal must not end without a master.
    "--cluster-replica-validity-factor",
    "0",
  ];
}

const ping = (port: number) =>
  exec("redis-cli", ["-p", String(port), "ping"], { timeout: 2000 }).then(
    (r) => r.stdout.trim(),
    () => "",
  );

/** Starts one node, on another free port if the first was taken meanwhile (the machine runs other tests too). */
async function startNode(runDir: string, firstPort: number): Promise<ClusterNode> {
  let port = firstPort;
  for (let attempt = 0; ; attempt++) {
    const dir = join(runDir, "redis", String(port));
    mkdirSync(dir, { recursive: true });
    const process = new FleetProcess(
      { name: `redis-${port}`, command: "redis-server", args: redisArgs(dir, port) },
      logFileIn(runDir, `redis-${port}`),
    );
    process.start();
    const deadline = Date.now() + 10000;
    while (process.running && (await ping(port)) !== "PONG" && Date.now() < deadline) await sleep(50);
    if (process.running && (await ping(port)) === "PONG") return { port, process };
    await process.stop(1000);
    if (attempt === 2) throw new Error(`redis-server did not start (last tried port ${port}): see ${process.logFile}`);
    port = await freePort();
  }
}

export async function startRedisCluster(runDir: string, ports: readonly number[]): Promise<FleetRedisCluster> {
  const nodes = await Promise.all(ports.map((port) => startNode(runDir, port)));
  const cluster = new FleetRedisCluster(nodes);
  await exec("redis-cli", ["--cluster", "create", ...nodes.map((n) => `127.0.0.1:${n.port}`), "--cluster-replicas", "1", "--cluster-yes"], {
    timeout: 30000,
  });
  await cluster.waitHealthy();
  return cluster;
}
