// The fleet's child processes: each in the fleet's process group (not detached), its output in a log file of the run
// directory, and killable, pausable, restartable by name for the drill.
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { join } from "node:path";

export interface ProcessSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

/** What the drill does to a process of the fleet: here (FleetProcess) or through `npm run fleet`'s control API. */
export interface ControlledProcess {
  readonly pid: number | undefined;
  readonly running: boolean;
  signal(signal: NodeJS.Signals, expectedDown?: boolean): Promise<void>;
  start(): void | Promise<void>;
  stop(graceMs?: number): Promise<void>;
}

export class FleetProcess implements ControlledProcess {
  private child: ChildProcess | undefined;
  private log: WriteStream;
  private exitedPromise: Promise<void> = Promise.resolve();
  /** Set while the fleet means this process to be down (a drill fault), so its exit is not an error. */
  expectedDown = false;
  onUnexpectedExit: (name: string, code: number | null, signal: NodeJS.Signals | null) => void = () => undefined;

  constructor(
    readonly spec: ProcessSpec,
    readonly logFile: string,
  ) {
    this.log = createWriteStream(logFile, { flags: "a" });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    const { command, args, env, cwd } = this.spec;
    this.expectedDown = false;
    const child = spawn(command, [...args], { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    this.exitedPromise = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        if (!this.expectedDown) this.onUnexpectedExit(this.spec.name, code, signal);
        resolve();
      }),
    );
  }

  /** Sends a signal; for SIGKILL/SIGTERM waits until the process has gone. */
  async signal(signal: NodeJS.Signals, expectedDown = true): Promise<void> {
    if (!this.running) return;
    if (signal === "SIGKILL" || signal === "SIGTERM" || signal === "SIGINT") this.expectedDown = expectedDown;
    this.child?.kill(signal);
    if (signal === "SIGKILL" || signal === "SIGTERM" || signal === "SIGINT") await this.exitedPromise;
  }

  /** SIGTERM, then SIGKILL after graceMs. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    this.expectedDown = true;
    const force = setTimeout(() => this.child?.kill("SIGKILL"), graceMs);
    this.child?.kill("SIGTERM");
    await this.exitedPromise;
    clearTimeout(force);
  }

  async restart(): Promise<void> {
    await this.stop();
    this.start();
  }

  closeLog(): void {
    this.log.end();
  }
}

export function logFileIn(dir: string, name: string): string {
  return join(dir, `${name}.log`);
}
