// Runs a Lambda handler module the way the Node.js runtime does, in its own process (one container): import the module
// once, then call its `handler(event, context)` for each event in turn. Started by test/support/lambda-process.ts.
//
// Input (environment): HARNESS_HANDLER (module path), HARNESS_EVENTS (JSON array), HARNESS_RESULT (file to write),
// plus the function's own environment (AWS_LAMBDA_FUNCTION_NAME, REDIS_URL, ...).
// Output: stdout and stderr stay the function's own (logs, EMF); the result file holds each invocation's request id
// and answer, and whether prom-client was ever loaded into this process.
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import type { Context } from "aws-lambda";

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === "") throw new Error(`${name} is required`);
  return value;
};

// Without AWS_LAMBDA_FUNCTION_NAME the module runs as it would outside Lambda (the control case); the context still names one.
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME || "sales-counter-local-function";
const mod = (await import(pathToFileURL(env("HARNESS_HANDLER")).href)) as {
  handler: (event: unknown, context: Context) => Promise<unknown>;
};
const events = JSON.parse(env("HARNESS_EVENTS")) as unknown[];

const contextFor = (awsRequestId: string): Context => {
  const deadline = Date.now() + 30_000;
  return {
    awsRequestId,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: "1024",
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "2026/01/01/[$LATEST]harness",
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};

const invocations: { awsRequestId: string; result?: unknown; error?: string }[] = [];
for (const event of events) {
  const awsRequestId = randomUUID();
  try {
    invocations.push({ awsRequestId, result: await mod.handler(event, contextFor(awsRequestId)) });
  } catch (err) {
    invocations.push({ awsRequestId, error: (err as Error).message });
  }
}

// prom-client is CommonJS: once anything imports it, Node keeps it in the CommonJS module cache.
const cache = createRequire(import.meta.url).cache;
const promClientLoaded = Object.keys(cache).some((path) => path.includes("/node_modules/prom-client/"));
writeFileSync(env("HARNESS_RESULT"), JSON.stringify({ invocations, promClientLoaded }));
// Lambda freezes the container after the last invocation; this process just ends (its Redis client would keep it up).
process.exit(0);
