// Runs a server under test in its own process (so the load generator never shares its event loop) and samples its CPU and RSS.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { withTimeout } from "../../core/timeout.js";

export interface ChildServer {
  readonly pid: number;
  /** What the child printed as its ready line (ports and the like). */
  readonly info: Readonly<Record<string, number>>;
  /** CPU seconds (user + system) and RSS in bytes, from /proc; undefined off Linux. */
  usage(): { cpuSeconds: number; rssBytes: number } | undefined;
  stop(): Promise<void>;
}

const childrenDir = new URL("../children/", import.meta.url).pathname;

/** Starts bench/children/<name>.ts with tsx and resolves on its first stdout line, a JSON object. */
export function startChild(name: string, env: Record<string, string>, timeoutMs = 20000): Promise<ChildServer> {
  return startProcess(name, process.execPath, ["--import", "tsx", `${childrenDir}${name}.ts`], env, timeoutMs);
}

/** Starts any program that prints one JSON line when it is ready (e.g. the Go fan-out peer). */
export async function startProcess(
  name: string,
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 20000,
): Promise<ChildServer> {
  const child: ChildProcess = spawn(command, args, {
    // Every benchmark counts into a fresh campaign: its aggregator starts it (CAMPAIGN_AUTOSTART, off in production).
    env: { ...process.env, LOG_LEVEL: "silent", DEMO: "0", HOST: "127.0.0.1", CAMPAIGN_AUTOSTART: "1", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! });
  const ready = new Promise<Record<string, number>>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${name} exited with ${code} before it was ready`)));
    lines.once("line", (line) => resolve(JSON.parse(line) as Record<string, number>));
  });
  const info = await withTimeout(ready, timeoutMs, () => new Error(`${name} did not start within ${timeoutMs} ms`));
  const pid = child.pid!;
  return {
    pid,
    info,
    usage: () => procUsage(pid),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}

const clockTicksPerSecond = 100;

/** CPU seconds (user + system) and RSS of a process, from /proc; undefined off Linux or once it exited. */
export function procUsage(pid: number): { cpuSeconds: number; rssBytes: number } | undefined {
  try {
    // Fields after the command name (which may hold spaces): utime is 14th, stime 15th overall.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
    const rssKiB = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return { cpuSeconds, rssBytes: Number(rssKiB ?? 0) * 1024 };
  } catch {
    return undefined;
  }
}

/** For children: print the ready line, and stop cleanly on SIGTERM/SIGINT. */
export function childReady(info: Record<string, number>, stop: () => Promise<void>): void {
  process.stdout.write(`${JSON.stringify(info)}\n`);
  const onSignal = () => {
    stop().finally(() => process.exit(0));
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  // A benchmark that died (or was killed) leaves no server behind: once the parent is gone, stop too.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) onSignal();
  }, 1000).unref();
}
