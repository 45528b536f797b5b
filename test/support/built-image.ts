// The container image without Docker: performs the Dockerfile's build and runtime stages in temporary directories and
// starts containers of it as processes with the image's ENTRYPOINT, CMD, ENV, WORKDIR and USER.
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { type Dockerfile, execForm, last, parseDockerfile, stage } from "./dockerfile.js";
import { hostPath, performStage, type StageResult } from "./image-steps.js";

const root = join(import.meta.dirname, "..", "..");
/** The node images' unprivileged user `node` is uid/gid 1000 (the Docker official node image's docs). */
const imageUsers: Record<string, { uid: number; gid: number }> = { node: { uid: 1000, gid: 1000 } };

export interface BuiltImage {
  readonly dockerfile: Dockerfile;
  readonly runtime: StageResult;
  /** The image's ENTRYPOINT followed by the given command (CMD when none is given). */
  command(args?: string[]): string[];
  /** Starts a "container": the process the image would run, with the image's environment plus env. */
  start(args: string[], env: Record<string, string>): Container;
  remove(): void;
}

export class Container {
  readonly output: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.on("data", (d) => this.output.push(String(d)));
    child.stderr?.on("data", (d) => this.output.push(String(d)));
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** `docker stop`: SIGTERM, then the exit. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill("SIGTERM");
    return this.exited;
  }

  async kill(): Promise<void> {
    if (this.running) this.child.kill("SIGKILL");
    await this.exited;
  }
}

/**
 * Somewhere else to hold the final stage (the image's runtime), e.g. a chroot with the image's base OS and Node. Without
 * one, the final stage is a directory on this machine and its RUN steps and containers use this machine's Node.
 */
export interface RuntimeHost {
  /** The directory standing for the final stage's `/`. */
  readonly root: string;
  /** Performs a RUN step of the final stage as root in `workdir` (a path inside the image); rejects when it fails. */
  run(command: string, workdir: string, env: Readonly<Record<string, string>>): Promise<void>;
  /** Starts a container's process: argv in `workdir` (inside the image) as the image's user, with exactly env. */
  spawn(argv: string[], workdir: string, env: Record<string, string>, user: { uid: number; gid: number } | undefined): ChildProcess;
}

/**
 * Builds the image's filesystem. The build stage's `npm ci` is the one step not repeated: the repository's node_modules
 * come from `npm ci` of the same package-lock.json, so they are linked in; every other build step runs as written
 * (the copies, `npm run build`). The runtime stage runs entirely as written, `npm ci --omit=dev` included.
 */
export async function buildImage(host?: RuntimeHost): Promise<BuiltImage> {
  const dockerfile = parseDockerfile(readFileSync(join(root, "Dockerfile"), "utf8"));
  const dir = mkdtempSync(join(tmpdir(), "sc-image-"));
  // Like an image's /: traversable by the unprivileged user the containers run as.
  chmodSync(dir, 0o755);
  const stages = new Map<string, StageResult>();
  for (const s of dockerfile.stages) {
    const isFinal = s === dockerfile.stages.at(-1);
    const stageRoot = isFinal && host ? host.root : join(dir, s.name);
    const result = await performStage(s, {
      context: root,
      root: stageRoot,
      stages,
      replaceRun: async (command, cwd, env) => {
        if (isFinal && host) {
          await host.run(command, `/${relative(stageRoot, cwd)}`, env);
          return true;
        }
        if (isFinal || !/^npm ci\b/.test(command)) return false;
        symlinkSync(join(root, "node_modules"), join(cwd, "node_modules"), "dir");
        return true;
      },
    });
    stages.set(s.name, result);
  }
  const final = dockerfile.stages.at(-1)!;
  const runtime = stages.get(final.name)!;
  const entrypoint = execForm(last(final, "ENTRYPOINT")?.args ?? "[]", "ENTRYPOINT");
  const cmd = execForm(last(final, "CMD")?.args ?? "[]", "CMD");
  const command = (args?: string[]) => [...entrypoint, ...(args ?? cmd)];
  const user = runtime.user === undefined ? undefined : imageUsers[runtime.user.split(":")[0]!];
  if (runtime.user !== undefined && user === undefined) throw new Error(`USER ${runtime.user}: unknown to this test`);
  return {
    dockerfile,
    runtime,
    command,
    start(args, env) {
      const fullEnv = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: "/nonexistent", ...runtime.env, ...env };
      if (host) return new Container(host.spawn(command(args), runtime.workdir, fullEnv, user));
      const [file, ...rest] = command(args);
      // As the image's user when this test can switch users (it runs as root here and in CI).
      const identity = user && process.getuid?.() === 0 ? user : {};
      const child = spawn(file!, rest, {
        cwd: hostPath(runtime, "."),
        env: fullEnv,
        stdio: ["ignore", "pipe", "pipe"],
        ...identity,
      });
      return new Container(child);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export { stage };
