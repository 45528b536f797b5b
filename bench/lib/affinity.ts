// CPU pinning with taskset (Linux): the server under test on its own core, the load generator on the others.
import { execFileSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { hasCommand } from "./cli.js";

export interface CpuLayout {
  /** CPU list for the server under test, e.g. "1". */
  readonly server: string;
  /** CPU list for this process (clients, publisher) and what it starts afterwards (redis-server), e.g. "0". */
  readonly clients: string;
  readonly all: string;
}

/** The last CPU for the server, the rest for everything else; undefined with one CPU or without taskset. */
export function cpuLayout(): CpuLayout | undefined {
  const n = availableParallelism();
  if (n < 2 || process.platform !== "linux" || !hasCommand("taskset")) return undefined;
  return { server: String(n - 1), clients: n === 2 ? "0" : `0-${n - 2}`, all: `0-${n - 1}` };
}

/** Sets the CPU affinity of every thread of pid (threads and processes created later inherit it). */
export function pin(pid: number, cpus: string): boolean {
  try {
    execFileSync("taskset", ["-a", "-p", "-c", cpus, String(pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
