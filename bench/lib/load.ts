// autocannon runs with progress, reduced to the figures every benchmark reports.
import autocannon from "autocannon";
import { withProgress } from "./progress.js";

export interface LoadOptions {
  readonly url: string;
  readonly connections: number;
  readonly pipelining: number;
  readonly durationSeconds: number;
  readonly method?: "GET" | "POST";
  readonly headers?: Record<string, string>;
  /** Builds each request (a fresh body and headers), e.g. a signed batch of unique payments. */
  readonly setupRequest?: autocannon.Request["setupRequest"];
}

export interface LoadFigures extends Record<string, number> {
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly non2xx: number;
  readonly errors: number;
}

export async function runLoad(label: string, options: LoadOptions): Promise<LoadFigures> {
  const request: autocannon.Request = { method: options.method ?? "GET", headers: options.headers };
  if (options.setupRequest) request.setupRequest = options.setupRequest;
  const run = autocannon({
    url: options.url,
    connections: options.connections,
    pipelining: options.pipelining,
    duration: options.durationSeconds,
    requests: [request],
  });
  const result = await withProgress(label, options.durationSeconds * 1000, run);
  return {
    reqPerSec: Math.round(result.requests.total / Math.max(result.duration, 0.001)),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}
