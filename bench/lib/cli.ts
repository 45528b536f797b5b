// Shared command-line plumbing: common options, and running a benchmark's main only when its file is executed directly.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { defaultResultsDir } from "./results.js";

export interface CommonOptions {
  readonly duration: number;
  readonly out: string;
}

/** A commander program with --duration and --out, named for the benchmark. */
export function benchCommand(name: string, description: string, defaultDurationSeconds: number): Command {
  return new Command(name)
    .description(description)
    .option("-d, --duration <seconds>", "length of each measured phase", Number, defaultDurationSeconds)
    .option("-o, --out <dir>", "where JSON and Markdown results are written", defaultResultsDir);
}

/** True when the module at metaUrl is the script node was started with. */
export function isMain(metaUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && resolve(entry) === fileURLToPath(metaUrl);
}

/** Runs main, reporting a failure and setting the exit code instead of leaving an unhandled rejection. */
export function runMain(main: () => Promise<unknown>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}

export const int = (v: string): number => Number.parseInt(v, 10);
export const intList = (v: string): number[] => v.split(",").map((s) => Number.parseInt(s.trim(), 10));

/** Whether an executable is on PATH (optional tools such as wrk and redis-benchmark). */
export function hasCommand(name: string): boolean {
  return (process.env.PATH ?? "").split(":").some((dir) => dir !== "" && existsSync(`${dir}/${name}`));
}
