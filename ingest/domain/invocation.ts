// One Lambda invocation as an async scope: its request id reaches every log line, its metrics are flushed when it ends.
import { AsyncLocalStorage } from "node:async_hooks";
import type { Context } from "aws-lambda";
import type { IngestMetrics } from "./metrics.js";

export interface Invocation {
  readonly awsRequestId: string;
  readonly functionName: string;
}

// A scope rather than a logger passed down: the counter writer, the ingestor and the record handling log from deep
// inside, and Lambda managed instances may run several invocations of one container at once.
const scope = new AsyncLocalStorage<Invocation>();

/** The invocation the caller runs in, or undefined outside any (local gateway, tests without a context). */
export function currentInvocation(): Invocation | undefined {
  return scope.getStore();
}

/** pino mixin: the fields every log line of an invocation carries. */
export function invocationLogFields(): Record<string, string> {
  const invocation = scope.getStore();
  return invocation === undefined ? {} : { awsRequestId: invocation.awsRequestId };
}

/**
 * Runs one invocation: inside its scope when Lambda gave a context, and flushes the metrics once when it ends,
 * whether the handler returned or threw (what it counted before throwing is still reported).
 */
export async function runInvocation<T>(
  metrics: IngestMetrics,
  context: Partial<Pick<Context, "awsRequestId" | "functionName">> | undefined,
  handle: () => Promise<T>,
): Promise<T> {
  const run = async () => {
    try {
      return await handle();
    } finally {
      metrics.flush();
    }
  };
  if (context?.awsRequestId === undefined) return run();
  return scope.run({ awsRequestId: context.awsRequestId, functionName: context.functionName ?? "" }, run);
}
