// Local Lambda Invoke API (POST /2015-03-31/functions/{name}/invocations) on uWS, so @aws-sdk/client-lambda works locally.
import { randomUUID } from "node:crypto";
import type { Logger } from "../../../core/logger.js";
import { createApp } from "../../../core/uws-app.js";
import { BodyTooLargeError, listen, readBody, uws, uwsPackage, uwsTransport, writeResponse } from "../../../core/uws-http.js";
import { methodOf, pathOf, queryParam } from "../../../core/uws-request.js";
import type { InvocationRecord } from "../../domain/invocation-record.js";
import { type IngestRuntime, ingestRuntime } from "../../domain/runtime.js";
import { AsyncInvoker } from "./async-invoker.js";
import { createFunctionRegistry, type InvokeHandler } from "./functions.js";
import { invocationError, invokeSync } from "./invoke.js";

/** Lambda's synchronous payload limit (6 MB) and asynchronous limit (1 MB, since 2025). */
export const maxSyncPayloadBytes = 6 * 1024 * 1024;
export const maxAsyncPayloadBytes = 1024 * 1024;

export interface LambdaApiOptions {
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
  /** Defaults to the process-wide ingest runtime built from the environment. */
  readonly runtime?: IngestRuntime;
  /** Function timeout for RequestResponse invocations; Lambda answers Sandbox.Timedout after it. */
  readonly timeoutMs?: number;
  /** Backoff base between the two retries of a failed Event invocation (default 1000 ms; 60 s on AWS). */
  readonly asyncRetryBaseMs?: number;
  /** Functions served besides the ingest ones, by name (local stand-ins, e.g. a test's milestone receiver). */
  readonly extraFunctions?: Readonly<Record<string, InvokeHandler>>;
  /** The on-failure destination of Event invocations given up (they are logged in any case). */
  readonly onAsyncFailure?: (record: InvocationRecord) => void;
}

export interface RunningLambdaApi {
  readonly port: number;
  /** Resolves when every accepted Event invocation has finished, retries included. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

const invokePath = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;

export async function startLambdaApi(options: LambdaApiOptions): Promise<RunningLambdaApi> {
  const { logger } = options;
  const runtime = options.runtime ?? ingestRuntime();
  const registry = createFunctionRegistry(runtime, options.extraFunctions);
  const asyncInvoker = new AsyncInvoker({ logger, retryBaseMs: options.asyncRetryBaseMs, onFailure: options.onAsyncFailure });
  const timeoutMs = options.timeoutMs ?? 30_000;
  const app = createApp({ name: "Lambda Invoke API", logger });

  // Not part of AWS's API: lets a supervisor (npm start) wait for this listener.
  app.get("/healthz", (res) =>
    writeResponse(
      res,
      200,
      { "content-type": "application/json" },
      JSON.stringify({ status: "ok", transport: uwsTransport, uws: uwsPackage }),
    ),
  );

  app.any("/*", (res, req) => {
    const method = methodOf(req).toUpperCase();
    const url = pathOf(req);
    const invocationType = req.getHeader("x-amz-invocation-type") || "RequestResponse";
    const contentLength = req.getHeader("content-length");
    const requestId = randomUUID();
    const base = { "content-type": "application/json", "x-amzn-requestid": requestId };
    const fail = (status: number, type: string, message: string, close = false) =>
      writeResponse(res, status, { ...base, "x-amzn-errortype": type }, JSON.stringify({ Type: "User", message }), close);

    const match = invokePath.exec(url);
    if (method !== "POST" || !match) {
      res.onAborted(() => undefined);
      fail(404, "UnknownOperationException", `no operation for ${method} ${url}`, true);
      return;
    }
    // The SDK sends a Qualifier as a query parameter; only $LATEST exists locally.
    const qualifier = queryParam(req, "Qualifier");
    const requested = decodeURIComponent(match[1]!) + (qualifier ? `:${qualifier}` : "");
    const limit = invocationType === "Event" ? maxAsyncPayloadBytes : maxSyncPayloadBytes;
    const reader = readBody(res, limit, contentLength);
    reader.body
      .then(async (bodyBytes) => {
        const fn = registry.resolve(requested);
        if (!fn) {
          const arn = `arn:aws:lambda:us-east-1:000000000000:function:${requested}`;
          return fail(404, "ResourceNotFoundException", `Function not found: ${arn}`);
        }
        if (!["RequestResponse", "Event", "DryRun"].includes(invocationType)) {
          return fail(400, "InvalidParameterValueException", `X-Amz-Invocation-Type: must be RequestResponse, Event or DryRun`);
        }
        let event: unknown = {};
        const text = bodyBytes.toString("utf8");
        if (text.trim() !== "") {
          try {
            event = JSON.parse(text);
          } catch {
            return fail(400, "InvalidRequestContentException", "Could not parse request body into json");
          }
        }
        const headers = { ...base, "x-amz-executed-version": "$LATEST" };
        if (invocationType === "DryRun") return writeResponse(res, 204, headers, "");
        if (invocationType === "Event") {
          // An async attempt that times out counts as failed and is retried, as on Lambda.
          const withTimeout = async (e: unknown) => {
            const outcome = await invokeSync(fn.handler, e, timeoutMs, requestId);
            if (!outcome.ok) throw outcome.error;
          };
          asyncInvoker.enqueue(fn.deployedName, requestId, withTimeout, event, fn.asyncPolicy);
          return writeResponse(res, 202, headers, "");
        }
        const outcome = await invokeSync(fn.handler, event, timeoutMs, requestId);
        if (reader.aborted()) return;
        if (outcome.ok) return writeResponse(res, 200, headers, JSON.stringify(outcome.result ?? null));
        logger.warn({ err: outcome.error, function: fn.deployedName, requestId }, "invocation failed");
        writeResponse(res, 200, { ...headers, "x-amz-function-error": "Unhandled" }, JSON.stringify(invocationError(outcome.error)));
      })
      .catch((err: unknown) => {
        if (reader.aborted()) return;
        if (err instanceof BodyTooLargeError) {
          const message = `${contentLength || "the"} byte payload is too large for the ${invocationType} invocation type (limit ${limit} bytes)`;
          return fail(413, "RequestTooLargeException", message, true);
        }
        logger.error({ err }, "lambda api failure");
        fail(500, "ServiceException", "unexpected Invoke API error");
      });
  });

  const { token, port } = await listen(app, options.host, options.port, "Lambda Invoke API");
  logger.info({ port }, "Lambda Invoke API listening");
  return {
    port,
    drain: () => asyncInvoker.drain(),
    async close() {
      uws.us_listen_socket_close(token);
      await asyncInvoker.close();
    },
  };
}
