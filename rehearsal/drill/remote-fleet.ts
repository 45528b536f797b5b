// The fleet an engineer is already running (`npm run fleet`), driven through its control API (rehearsal/fleet-control.ts):
// the drill kills, pauses and restarts its processes there, and pauses its demo traffic only for the finance check.
import type { DemoEvent } from "../../scripts/demo-traffic.js";
import type { Component } from "../fleet.js";
import type { FleetDescription, ProcessState } from "../fleet-control.js";
import type { ControlledProcess } from "../processes.js";
import { FleetRedisCluster } from "../redis-cluster.js";
import type { DrillComponent, DrillFleet } from "./drill-fleet.js";

async function call<T>(control: string, path: string, body?: unknown, timeoutMs = 60_000): Promise<T> {
  const res = await fetch(`${control}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const value = (await res.json()) as T & { error?: { code: string; message: string } };
  if (!res.ok) throw new Error(`fleet control ${path}: ${res.status} ${value.error?.code}: ${value.error?.message}`);
  return value;
}

/** A process of the attached fleet: every action goes to the control API, which answers the state after it. */
class RemoteProcess implements ControlledProcess {
  pid: number | undefined;
  running: boolean;

  constructor(
    private readonly control: string,
    readonly name: string,
    state: ProcessState,
  ) {
    this.pid = state.pid;
    this.running = state.running;
  }

  private async act(action: string, body: Record<string, unknown> = {}): Promise<void> {
    const state = await call<ProcessState>(this.control, `/processes/${this.name}/${action}`, body);
    this.pid = state.pid;
    this.running = state.running;
  }

  signal(signal: NodeJS.Signals, expectedDown = true): Promise<void> {
    return this.act("signal", { signal, expectedDown });
  }

  start(): Promise<void> {
    return this.act("start");
  }

  stop(graceMs?: number): Promise<void> {
    return this.act("stop", graceMs === undefined ? {} : { graceMs });
  }
}

/** Attaches to the fleet whose control API answers at `control` (e.g. http://127.0.0.1:8001). */
export async function attachFleet(control: string): Promise<DrillFleet> {
  const described = await call<FleetDescription>(control, "/fleet", undefined, 5000).catch((err: unknown) => {
    throw new Error(`no fleet answers at ${control} (is \`npm run fleet\` running, with this FLEET_CONTROL_PORT?): ${String(err)}`);
  });
  const redis = new FleetRedisCluster(described.redis.map((n) => ({ port: n.port, process: new RemoteProcess(control, n.name, n) })));
  const components: DrillComponent[] = described.components.map((c) => ({
    name: c.name,
    kind: c.kind as Component["kind"],
    url: c.url,
    process: new RemoteProcess(control, c.name, c),
  }));
  return {
    url: described.url,
    prometheusUrl: described.prometheusUrl,
    campaign: described.campaign,
    shards: described.shards,
    redis,
    byKind: (kind) => components.filter((c) => c.kind === kind),
    ...(described.demo
      ? {
          demo: {
            pause: async () => (await call<{ acknowledged: DemoEvent[] }>(control, "/demo/pause", {}, 90_000)).acknowledged,
            resume: async () => {
              await call(control, "/demo/resume", {});
            },
          },
        }
      : {}),
  };
}
