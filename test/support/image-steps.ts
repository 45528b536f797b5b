// Performs a Dockerfile stage's steps in a plain directory (no Docker engine here): WORKDIR, ENV, COPY from the build
// context or an earlier stage, RUN through /bin/sh as the image would, USER recorded for the start commands.
import { execFile } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, readFileSync } from "node:fs";
import { basename, join, relative, sep } from "node:path";
import { promisify } from "node:util";
import { envPairs, type Stage, substitute } from "./dockerfile.js";

const exec = promisify(execFile);

export interface StageResult {
  /** Directory standing for the stage's filesystem root. */
  readonly root: string;
  readonly env: Readonly<Record<string, string>>;
  /** Absolute path inside the image, e.g. /app. */
  readonly workdir: string;
  readonly user: string | undefined;
  /** The RUN commands in order, as run (or as replaced). */
  readonly ran: readonly string[];
}

export interface StageOptions {
  readonly context: string;
  readonly root: string;
  readonly stages: ReadonlyMap<string, StageResult>;
  /**
   * Return (or resolve to) true to take over a RUN command, done by the caller in `cwd` (a path on this machine) with the
   * step's environment (build arguments and ENV); everything else runs through /bin/sh here.
   */
  readonly replaceRun?: (command: string, cwd: string, env: Readonly<Record<string, string>>) => boolean | Promise<boolean>;
}

/** The path on this machine of an image path (absolute, or relative to the working directory). */
export function hostPath(result: Pick<StageResult, "root" | "workdir">, path: string): string {
  return join(result.root, path.startsWith("/") ? path : join(result.workdir, path));
}

export async function performStage(stage: Stage, options: StageOptions): Promise<StageResult> {
  const env: Record<string, string> = {};
  /** ARG values: in the environment of later RUN steps only, not of the container. */
  const buildArgs: Record<string, string> = {};
  const ran: string[] = [];
  let workdir = "/";
  let user: string | undefined;
  mkdirSync(options.root, { recursive: true });
  chmodSync(options.root, 0o755);
  const here = () => ({ root: options.root, workdir });
  for (const step of stage.instructions) {
    const args = substitute(step.args, env);
    switch (step.keyword) {
      case "WORKDIR":
        workdir = args.startsWith("/") ? args : join(workdir, args);
        mkdirSync(hostPath(here(), "."), { recursive: true, mode: 0o755 });
        break;
      case "ARG": {
        const [name, value = ""] = args.split("=");
        buildArgs[name!.trim()] = value.trim();
        break;
      }
      case "ENV":
        Object.assign(env, envPairs(args));
        break;
      case "COPY": {
        const parts = args.split(/\s+/);
        const dest = parts.pop()!;
        const from = step.flags.from === undefined ? undefined : options.stages.get(step.flags.from);
        if (step.flags.from !== undefined && !from) throw new Error(`line ${step.line}: no stage ${step.flags.from}`);
        for (const src of parts) {
          const source = from ? hostPath(from, src) : join(options.context, src);
          const target = dest.endsWith("/") ? join(hostPath(here(), dest), basename(src)) : hostPath(here(), dest);
          // .dockerignore keeps node_modules out of the context (checked separately against the file).
          cpSync(source, target, { recursive: true, filter: (p) => !relative(source, p).split(sep).includes("node_modules") });
        }
        break;
      }
      case "RUN": {
        const cwd = hostPath(here(), ".");
        ran.push(args);
        if (await options.replaceRun?.(args, cwd, { ...buildArgs, ...env })) break;
        await exec("/bin/sh", ["-c", args], {
          cwd,
          env: { ...process.env, ...buildArgs, ...env },
          timeout: 240_000,
          maxBuffer: 32 * 1024 * 1024,
        });
        break;
      }
      case "USER":
        user = args;
        break;
      default:
        // EXPOSE, HEALTHCHECK, ENTRYPOINT, CMD describe the container; the test reads them from the parsed stage.
        break;
    }
  }
  return { root: options.root, env, workdir, user, ran };
}

/** .dockerignore as an allow-list (`*`, then `!name` lines): the names it lets into the build context. */
export function allowedByDockerignore(path: string): Set<string> {
  const lines = readFileSync(path, "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  if (lines[0] !== "*") throw new Error(".dockerignore does not start with `*` (allow-list)");
  return new Set(lines.filter((l) => l.startsWith("!")).map((l) => l.slice(1)));
}
