// `npm run fleet`'s control API on 127.0.0.1 (FLEET_CONTROL_PORT, default FLEET_PORT + 1), what `npm run drill --
// --attach` drives: the fleet's description, a signal, stop or start of any of its processes by name, and a pause of
// its demo traffic (until every demo payment sent is acknowledged, answering them all, the export) and its resume.
//   GET  /fleet                                  entry point, Prometheus, campaign, Redis nodes and components
//   POST /processes/<name>/signal {"signal"}     e.g. SIGKILL, SIGSTOP, SIGCONT (SIGKILL/SIGTERM wait for the exit)
//   POST /processes/<name>/stop | /start
//   POST /demo/pause, POST /demo/resume
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { DemoTraffic } from "../scripts/demo-traffic.js";
import type { Fleet } from "./fleet.js";
import type { ControlledProcess } from "./processes.js";

/** The description GET /fleet answers (remote-fleet.ts reads it). */
export interface FleetDescription {
  readonly url: string;
  readonly prometheusUrl: string;
  readonly campaign: string;
  readonly shards: number;
  readonly redis: ReadonlyArray<{ name: string; port: number; pid: number | undefined; running: boolean }>;
  readonly components: ReadonlyArray<{ name: string; kind: string; url: string; pid: number | undefined; running: boolean }>;
  readonly demo: boolean;
}

export interface ProcessState {
  readonly pid: number | undefined;
  readonly running: boolean;
}

const signals = new Set(["SIGKILL", "SIGTERM", "SIGINT", "SIGSTOP", "SIGCONT"]);

class ControlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function processesOf(fleet: Fleet): Map<string, ControlledProcess> {
  const byName = new Map<string, ControlledProcess>();
  for (const node of fleet.redis.nodes) byName.set(`redis-${node.port}`, node.process);
  for (const c of fleet.components) byName.set(c.name, c.process);
  return byName;
}

function describe(fleet: Fleet, demo: DemoTraffic | undefined): FleetDescription {
  return {
    url: fleet.url,
    prometheusUrl: fleet.prometheusUrl,
    campaign: fleet.campaign,
    shards: fleet.shards,
    redis: fleet.redis.nodes.map((n) => ({ name: `redis-${n.port}`, port: n.port, pid: n.process.pid, running: n.process.running })),
    components: fleet.components.map((c) => ({ name: c.name, kind: c.kind, url: c.url, pid: c.process.pid, running: c.process.running })),
    demo: demo !== undefined,
  };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = "";
  for await (const chunk of req) text += String(chunk);
  if (text.trim() === "") return {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new ControlError(400, "INVALID_JSON", "the body must be a JSON object");
}

/** The fleet the API controls, once it is up (until then every route answers 503 FLEET_STARTING). */
export interface ControlledFleet {
  readonly fleet: Fleet;
  readonly demo: DemoTraffic | undefined;
}

async function route(controlled: ControlledFleet | undefined, req: IncomingMessage): Promise<unknown> {
  if (!controlled) throw new ControlError(503, "FLEET_STARTING", "the fleet is still starting");
  const { fleet, demo } = controlled;
  const path = new URL(req.url ?? "/", "http://control").pathname;
  if (req.method === "GET" && path === "/fleet") return describe(fleet, demo);
  if (req.method !== "POST") throw new ControlError(405, "METHOD_NOT_ALLOWED", `${req.method} ${path}: not here`);
  const body = await readJson(req);
  if (path === "/demo/pause" || path === "/demo/resume") {
    if (!demo) throw new ControlError(409, "NO_DEMO_TRAFFIC", "this fleet runs without demo traffic (DEMO=0)");
    if (path === "/demo/resume") {
      demo.resume();
      return { paused: false };
    }
    await demo.pause();
    return { paused: true, acknowledged: demo.acknowledged() };
  }
  const match = /^\/processes\/([^/]+)\/(signal|start|stop)$/.exec(path);
  if (!match) throw new ControlError(404, "NOT_FOUND", `${path}: no such route`);
  const [, name, action] = match as unknown as [string, string, "signal" | "start" | "stop"];
  const proc = processesOf(fleet).get(name);
  if (!proc) throw new ControlError(404, "UNKNOWN_PROCESS", `process "${name}": not in this fleet (GET /fleet lists them)`);
  if (action === "signal") {
    const signal = body.signal;
    if (typeof signal !== "string" || !signals.has(signal))
      throw new ControlError(400, "INVALID_SIGNAL", `signal: one of ${[...signals].join(", ")}`);
    await proc.signal(signal as NodeJS.Signals, body.expectedDown !== false);
  } else if (action === "stop") await proc.stop(typeof body.graceMs === "number" ? body.graceMs : undefined);
  else if (!proc.running) await proc.start();
  return { pid: proc.pid, running: proc.running } satisfies ProcessState;
}

function answer(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
}

/**
 * Serves the control API on 127.0.0.1:port (0: a free one); resolves with its URL once listening, so a port in use
 * fails before any process of the fleet starts. `attach` hands it the fleet once the fleet is up.
 */
export async function startFleetControl(
  port: number,
): Promise<{ url: string; attach(controlled: ControlledFleet): void; close(): Promise<void> }> {
  let controlled: ControlledFleet | undefined;
  const server = createServer((req, res) => {
    route(controlled, req).then(
      (value) => answer(res, 200, value),
      (err: unknown) => {
        if (err instanceof ControlError) answer(res, err.status, { error: { code: err.code, message: err.message } });
        else answer(res, 500, { error: { code: "INTERNAL", message: String(err) } });
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    attach: (fleetAndDemo) => {
      controlled = fleetAndDemo;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // a client's idle keep-alive connection must not hold the fleet's Ctrl-C
      }),
  };
}
