// What ingest counts, as one small interface; the backend (prom-client, or CloudWatch EMF on Lambda) is chosen once per process.
import { parseMetricsNamespace } from "../../core/config.js";

/** Every figure ingest reports. `source` is where the events came from: http, sqs, kinesis, kafka. */
export interface IngestMetrics {
  /** Events counted for the first time. */
  accepted(source: string, n: number): void;
  /** Events already counted (same paymentId, same amount): counted zero more times. */
  duplicates(source: string, n: number): void;
  /** Events rejected, by item code (validation codes and ID_CONFLICT). */
  rejected(source: string, code: string, n: number): void;
  /** Records or events stored in the dead-letter list, by code. */
  deadLettered(source: string, code: string, n: number): void;
  /** A record handed back to the event source after a passing failure. */
  retried(source: string): void;
  /** Items returned in batchItemFailures (a failed record and, on ordered sources, every record after it). */
  batchItemFailures(source: string, n: number): void;
  /** A Redis call that failed: counting, recording rejections or dead letters, or the start-up checks. */
  redisError(source: string): void;
  /** Time to count one batch in Redis. */
  writeLatency(source: string, seconds: number): void;
  /** An HTTP answer, by status. */
  response(source: string, status: number): void;
  /** End of one Lambda invocation: EMF writes what the invocation counted; prom-client has nothing to do. */
  flush(): void;
}

/** The namespace ingest's EMF metrics go to when METRICS_NAMESPACE is unset (the one the infrastructure code uses). */
export const defaultNamespace = "SalesCounter";

/** Lambda sets AWS_LAMBDA_FUNCTION_NAME, a reserved variable, in every function's environment. */
export const onLambda = (env: NodeJS.ProcessEnv): boolean => (env.AWS_LAMBDA_FUNCTION_NAME ?? "") !== "";

/**
 * The backend for this process: CloudWatch EMF on Lambda, prom-client anywhere else. Loaded dynamically, so on Lambda
 * prom-client is never even loaded and no registry exists; elsewhere the Powertools module is not loaded.
 */
export async function loadIngestMetrics(env: NodeJS.ProcessEnv = process.env): Promise<IngestMetrics> {
  // Checked everywhere, so a bad value is found on the laptop before it breaks a deployment.
  const namespace = parseMetricsNamespace(env) ?? defaultNamespace;
  if (!onLambda(env)) return (await import("./metrics-prometheus.js")).prometheusIngestMetrics;
  const { createEmfIngestMetrics } = await import("./metrics-emf.js");
  return createEmfIngestMetrics({ namespace, functionName: env.AWS_LAMBDA_FUNCTION_NAME! });
}
