// The servers the fanout benchmark compares, each started as its own process(es) against the same Redis channel and
// serving the same frames at the same rate: our uWS broadcaster (one or several processes sharing one port with
// SO_REUSEPORT), the `ws` relay, Socket.IO 4 + redis-adapter, and Go net/http + gorilla/websocket when Go is installed.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { campaignKeys } from "../../core/store/keys.js";
import { freePort } from "../../test/support/redis-server.js";
import type { ViewerProtocol } from "../children/fanout-viewers.js";
import { type ChildServer, startChild, startProcess } from "./child.js";
import { hasCommand } from "./cli.js";

export type SubjectKind = "uws" | "ws" | "socketio" | "go";

export interface SubjectOptions {
  readonly kind: SubjectKind;
  readonly redisUrl: string;
  readonly campaign: string;
  readonly view: "full" | "counter";
  readonly hz: number;
  /** Broadcaster processes sharing the port (uws only). */
  readonly processes?: number;
  /** Per-process connection cap, so a process refuses with 503 before it runs out of file descriptors. */
  readonly maxConnections?: number;
}

export interface RunningSubject {
  readonly label: string;
  readonly port: number;
  readonly path: string;
  readonly protocol: ViewerProtocol;
  readonly pids: number[];
  /** CPU seconds and RSS bytes summed over the subject's processes. */
  usage(): { cpuSeconds: number; rssBytes: number };
  stop(): Promise<void>;
}

/** One frame per n snapshots at `hz` (as broadcaster/rate-scheduler.ts counts phases); peers send every n-th to everyone. */
export function everyNth(hz: number, publishHz: number): number {
  return Math.max(1, Math.ceil(publishHz / hz - 1e-9));
}

let goBinary: { dir: string; path: string } | undefined | null;

/** Builds the Go peer once per run into a temp dir (offline: GOPATH=/usr/share/gocode, GO111MODULE=off); null without Go. */
export function goRelayBinary(): string | null {
  if (goBinary !== undefined) return goBinary?.path ?? null;
  if (!hasCommand("go")) {
    goBinary = null;
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), "go-relay-"));
  const path = join(dir, "go-relay");
  try {
    execFileSync("go", ["build", "-o", path, "./bench/peers/go-relay"], {
      cwd: new URL("../../", import.meta.url).pathname,
      env: { ...process.env, GOPATH: process.env.GOPATH ?? "/usr/share/gocode", GO111MODULE: "off", GOFLAGS: "" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    goBinary = { dir, path };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    process.stderr.write(`go build of bench/peers/go-relay failed, Go rows skipped: ${String(err)}\n`);
    goBinary = null;
  }
  return goBinary?.path ?? null;
}

export function removeGoBinary(): void {
  if (goBinary) rmSync(goBinary.dir, { recursive: true, force: true });
  goBinary = undefined;
}

function combine(label: string, children: ChildServer[], path: string, protocol: ViewerProtocol): RunningSubject {
  return {
    label,
    port: children[0]!.info.port ?? 0,
    path,
    protocol,
    pids: children.map((c) => c.pid),
    usage: () => {
      let cpuSeconds = 0;
      let rssBytes = 0;
      for (const c of children) {
        const u = c.usage();
        cpuSeconds += u?.cpuSeconds ?? 0;
        rssBytes += u?.rssBytes ?? 0;
      }
      return { cpuSeconds, rssBytes };
    },
    stop: async () => {
      await Promise.all(children.map((c) => c.stop()));
    },
  };
}

export async function startSubject(options: SubjectOptions, publishHz: number): Promise<RunningSubject> {
  const { kind, redisUrl, campaign, view, hz } = options;
  const env = { REDIS_URL: redisUrl, CAMPAIGN: campaign, VIEW: view, EVERY: String(everyNth(hz, publishHz)) };
  if (kind === "uws") {
    const count = options.processes ?? 1;
    const max = String(options.maxConnections ?? 1_000_000);
    // uWS listens with SO_REUSEPORT (ListenOptions LIBUS_LISTEN_DEFAULT; LIBUS_LISTEN_EXCLUSIVE_PORT turns it off) on
    // an explicit port, not on port 0: so several processes share one port and the kernel spreads connections over them.
    const port = count === 1 ? "0" : String(await freePort());
    const children: ChildServer[] = [];
    for (let i = 0; i < count; i++)
      children.push(await startChild("broadcaster-only", { ...env, MAX_CONNECTIONS: max, BROADCASTER_PORT: port }));
    const label = count === 1 ? "uWS broadcaster" : `uWS broadcaster ×${count} (SO_REUSEPORT)`;
    return combine(label, children, `/v1/live?campaign=${campaign}&view=${view}&hz=${hz}`, "ws");
  }
  if (kind === "ws") return combine("ws relay", [await startChild("ws-broadcaster", env)], "/v1/live", "ws");
  if (kind === "socketio")
    return combine(
      "Socket.IO 4 + redis-adapter",
      [await startChild("socketio-relay", env)],
      "/socket.io/?EIO=4&transport=websocket",
      "socketio",
    );
  const binary = goRelayBinary();
  if (binary === null) throw new Error("go is not installed");
  const redisAddress = new URL(redisUrl).host;
  const channel = campaignKeys(campaign, 64).snapshots;
  const child = await startProcess(
    "go-relay",
    binary,
    ["-redis", redisAddress, "-channel", channel, "-view", view, "-every", env.EVERY],
    {},
  );
  return combine("Go net/http + gorilla/websocket", [child], "/v1/live", "ws");
}
