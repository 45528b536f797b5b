// Runs components as child processes (node --import tsx <entry>), for tests whose fault is a process kill.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

export class Component {
  readonly output: string[] = [];
  /** Standard output alone (logs and EMF lines), in order. */
  readonly stdout: string[] = [];
  readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    child.stdout?.on("data", (d) => {
      this.output.push(String(d));
      this.stdout.push(String(d));
    });
    child.stderr?.on("data", (d) => this.output.push(String(d)));
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  static start(entry: string, env: Record<string, string>, args: readonly string[] = []): Component {
    const child = spawn(process.execPath, ["--import", "tsx", entry, ...args], {
      cwd: root,
      // A fresh campaign per test: aggregators may start it (see test/support/config.ts).
      env: { ...process.env, LOG_LEVEL: "info", CAMPAIGN_AUTOSTART: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    return new Component(child);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends the signal and resolves when the process has exited. */
  async signal(signal: NodeJS.Signals): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    await this.exited;
  }

  /** For afterAll: SIGKILL if still running. */
  async stop(): Promise<void> {
    await this.signal("SIGKILL");
  }
}
