// Runs one synchronous invocation with the function timeout, and shapes errors as Lambda reports them.

export type SyncOutcome = { ok: true; result: unknown } | { ok: false; error: Error };

export class FunctionTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
    this.name = "Sandbox.Timedout";
  }
}

export async function invokeSync(handler: (event: unknown) => Promise<unknown>, event: unknown, timeoutMs: number): Promise<SyncOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new FunctionTimeoutError(timeoutMs)), timeoutMs);
  });
  try {
    return { ok: true, result: await Promise.race([Promise.resolve().then(() => handler(event)), timeout]) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err : new Error(String(err)) };
  } finally {
    clearTimeout(timer);
  }
}

/** The body Lambda returns with X-Amz-Function-Error: errorType is the error's name, as the Node.js runtime reports it. */
export function invocationError(error: Error): { errorType: string; errorMessage: string; trace: string[] } {
  const code = (error as { code?: unknown }).code;
  return {
    errorType: error.name || "Error",
    errorMessage: typeof code === "string" ? `${code}: ${error.message}` : error.message,
    trace: (error.stack ?? "").split("\n"),
  };
}
