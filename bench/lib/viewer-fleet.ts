// The fanout benchmark's load generator: several viewer processes (bench/children/fanout-viewers.ts), because each
// process may hold at most 20,000 open files; connections are spread over them and their CPU is sampled from /proc.
import { type ChildProcess, fork } from "node:child_process";
import type { FromViewers, TagFigures, ToViewers, ViewerProtocol } from "../children/fanout-viewers.js";
import { procUsage } from "./child.js";

/** Sockets per viewer process: the 20,000 open-file limit less what Node itself holds (stdio, epoll, IPC, ...). */
export const viewersPerProcess = 19_000;

export interface ConnectTarget {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly protocol: ViewerProtocol;
}

export interface FleetReport {
  readonly latenciesMs: Float64Array[];
  readonly tags: Record<string, TagFigures>;
  readonly disorder: number;
  readonly errors: number;
}

interface ViewerProcess {
  readonly child: ChildProcess;
  load: number;
  /** Viewers per tag in this process. */
  readonly tags: Map<string, number>;
  /** Source addresses 127.0.0.<first..first+49>: each has its own ephemeral ports. */
  readonly firstAddress: number;
}

const script = new URL("../children/fanout-viewers.ts", import.meta.url).pathname;

function next<T extends FromViewers["type"]>(child: ChildProcess, type: T, tag?: string): Promise<Extract<FromViewers, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (msg: FromViewers) => {
      if (msg.type !== type || (tag !== undefined && "tag" in msg && msg.tag !== tag)) return;
      child.off("message", onMessage);
      child.off("exit", onExit);
      resolve(msg as Extract<FromViewers, { type: T }>);
    };
    const onExit = (code: number | null) => reject(new Error(`viewer process exited with ${code} before "${type}"`));
    child.on("message", onMessage);
    child.once("exit", onExit);
  });
}

export class ViewerFleet {
  private readonly processes: ViewerProcess[] = [];
  private tagCounter = 0;

  get processCount(): number {
    return this.processes.length;
  }

  /** Opens `count` viewers to target, spread evenly over enough processes (at least two); returns the tag and the failures. */
  async connect(
    count: number,
    target: ConnectTarget,
    tag = `t${this.tagCounter++}`,
  ): Promise<{ tag: string; failed: number; firstError?: string }> {
    const total = this.processes.reduce((sum, p) => sum + p.load, 0) + count;
    const wanted = Math.max(2, Math.ceil(total / viewersPerProcess));
    while (this.processes.length < wanted) await this.spawn();
    const goal = Math.ceil(total / this.processes.length);
    let left = count;
    const shares: Array<[ViewerProcess, number]> = [];
    for (const room of [(p: ViewerProcess) => goal - p.load, (p: ViewerProcess) => viewersPerProcess - p.load]) {
      for (const p of this.processes) {
        const share = Math.max(0, Math.min(left, room(p)));
        if (share === 0) continue;
        p.load += share;
        p.tags.set(tag, (p.tags.get(tag) ?? 0) + share);
        left -= share;
        shares.push([p, share]);
      }
    }
    const results = await Promise.all(
      shares.map(([p, share]) => {
        const done = next(p.child, "connected", tag);
        const { host, port, path, protocol } = target; // only data crosses IPC
        p.child.send({
          type: "connect",
          tag,
          host,
          port,
          path,
          protocol,
          count: share,
          firstAddress: p.firstAddress,
          addresses: 50,
        } satisfies ToViewers);
        return done;
      }),
    );
    const failed = results.reduce((sum, r) => sum + r.failed, 0);
    return { tag, failed, firstError: results.find((r) => r.firstError)?.firstError };
  }

  /** Closes every viewer of a tag (in every process). */
  close(tag: string): void {
    for (const p of this.processes) {
      p.load -= p.tags.get(tag) ?? 0;
      p.tags.delete(tag);
      p.child.send({ type: "close", tag } satisfies ToViewers);
    }
  }

  /** Opens the window: frames with seq > afterSeq count. */
  startMeasuring(afterSeq: number): void {
    for (const p of this.processes) p.child.send({ type: "measure", afterSeq } satisfies ToViewers);
  }

  /** Closes the window: frames with seq > lastSeq no longer count, and bytes stop counting now. */
  endWindow(lastSeq: number): void {
    for (const p of this.processes) p.child.send({ type: "end", lastSeq } satisfies ToViewers);
  }

  async report(): Promise<FleetReport> {
    const reports = await Promise.all(
      this.processes.map((p) => {
        const r = next(p.child, "report");
        p.child.send({ type: "report" } satisfies ToViewers);
        return r;
      }),
    );
    const tags: Record<string, TagFigures> = {};
    for (const r of reports)
      for (const [tag, f] of Object.entries(r.tags)) {
        const t = tags[tag];
        tags[tag] = t ? { viewers: t.viewers + f.viewers, messages: t.messages + f.messages, bytes: t.bytes + f.bytes } : f;
      }
    return {
      latenciesMs: reports.map((r) => r.latenciesMs),
      tags,
      disorder: reports.reduce((sum, r) => sum + r.disorder, 0),
      errors: reports.reduce((sum, r) => sum + r.errors.badFrames + r.errors.closed + r.errors.socketErrors, 0),
    };
  }

  /** CPU seconds of every viewer process together. */
  cpuSeconds(): number {
    return this.processes.reduce((sum, p) => sum + (procUsage(p.child.pid ?? 0)?.cpuSeconds ?? 0), 0);
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.processes.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.child.exitCode !== null) return resolve();
            p.child.once("exit", () => resolve());
            p.child.kill("SIGTERM");
          }),
      ),
    );
    this.processes.length = 0;
  }

  private async spawn(): Promise<ViewerProcess> {
    const child = fork(script, [], {
      execArgv: ["--import", "tsx"],
      serialization: "advanced",
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    const p: ViewerProcess = { child, load: 0, tags: new Map(), firstAddress: 2 + this.processes.length * 50 };
    await next(child, "connected", "");
    this.processes.push(p);
    return p;
  }
}
