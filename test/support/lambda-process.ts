// Invokes a Lambda handler in a fresh process (a cold container) through test/support/lambda-harness.ts and returns
// what the function wrote to stdout and stderr, each invocation's request id and answer, and whether prom-client loaded.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const exec = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));
const harness = join(root, "test/support/lambda-harness.ts");

export interface LambdaRun {
  readonly stdout: string;
  readonly stderr: string;
  readonly invocations: { awsRequestId: string; result?: unknown; error?: string }[];
  readonly promClientLoaded: boolean;
}

/** `handler` is relative to the repository (e.g. ingest/handlers/ingest-queue.ts); `env` is the function's environment. */
export async function runLambda(handler: string, events: readonly unknown[], env: Record<string, string>): Promise<LambdaRun> {
  const dir = mkdtempSync(join(tmpdir(), "lambda-run-"));
  const resultFile = join(dir, "result.json");
  try {
    // Only what a function's environment would hold, not this test process's (no inherited METRICS_* or REDIS_*).
    const { stdout, stderr } = await exec(process.execPath, ["--import", "tsx", harness], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AWS_REGION: "us-east-1",
        LOG_LEVEL: "info",
        ...env,
        HARNESS_HANDLER: join(root, handler),
        HARNESS_EVENTS: JSON.stringify(events),
        HARNESS_RESULT: resultFile,
      },
      timeout: 30_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const result = JSON.parse(readFileSync(resultFile, "utf8")) as Omit<LambdaRun, "stdout" | "stderr">;
    return { stdout, stderr, ...result };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
