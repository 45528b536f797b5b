// Local API Gateway: turns HTTP requests on INGEST_PORT into API Gateway HTTP API (v2) events for ingestHttp.

import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { errorBody } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import { waitAtMost } from "../../core/timeout.js";
import { createApp } from "../../core/uws-app.js";
import { BodyTooLargeError, listen, readBody, uws, uwsPackage, uwsTransport, writeResponse } from "../../core/uws-http.js";
import { headersOf, methodOf, pathOf, rawQueryOf, remoteAddressOf } from "../../core/uws-request.js";
import { ingestRegistry } from "../domain/metrics-prometheus.js";
import { maxBodyBytes } from "../domain/payment-batch.js";
import type { ApiGatewayEvent, ApiGatewayResult } from "../handlers/ingest-http.js";

export interface GatewayOptions {
  readonly host: string;
  readonly port: number;
  readonly handler: (event: ApiGatewayEvent) => Promise<ApiGatewayResult>;
  readonly logger: Logger;
}

export interface RunningGateway {
  readonly port: number;
  close(drainTimeoutMs?: number): Promise<void>;
}

const jsonHeaders = { "content-type": "application/json" };

export function toApiGatewayV2Event(
  method: string,
  rawPath: string,
  rawQueryString: string,
  headers: Record<string, string>,
  body: string,
  sourceIp: string,
): APIGatewayProxyEventV2 {
  const now = new Date();
  const query = new URLSearchParams(rawQueryString);
  const queryStringParameters: Record<string, string> = {};
  for (const [k, v] of query) queryStringParameters[k] = queryStringParameters[k] === undefined ? v : `${queryStringParameters[k]},${v}`;
  const requestId = randomUUID();
  return {
    version: "2.0",
    routeKey: `${method} ${rawPath}`,
    rawPath,
    rawQueryString,
    headers,
    queryStringParameters: rawQueryString === "" ? undefined : queryStringParameters,
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      domainName: headers.host ?? "localhost",
      domainPrefix: "local",
      http: { method, path: rawPath, protocol: "HTTP/1.1", sourceIp, userAgent: headers["user-agent"] ?? "" },
      requestId,
      routeKey: `${method} ${rawPath}`,
      stage: "$default",
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    body,
    isBase64Encoded: false,
  };
}

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const { handler, logger } = options;
  const app = createApp({ name: "ingest gateway", logger });
  // Requests whose handler is still running: close() waits for them, so a SIGTERM never cuts a write short.
  const inFlight = new Set<Promise<unknown>>();

  app.get("/healthz", (res) =>
    writeResponse(res, 200, jsonHeaders, JSON.stringify({ status: "ok", transport: uwsTransport, uws: uwsPackage })),
  );
  app.get("/metrics", (res) => {
    res.onAborted(() => undefined);
    ingestRegistry.metrics().then(
      (text) => writeResponse(res, 200, { "content-type": ingestRegistry.contentType }, text),
      () => writeResponse(res, 500, jsonHeaders, errorBody("INTERNAL", "metrics unavailable")),
    );
  });

  app.any("/*", (res, req) => {
    const method = methodOf(req).toUpperCase();
    const rawPath = pathOf(req);
    const rawQueryString = rawQueryOf(req);
    const headers = headersOf(req);
    const sourceIp = remoteAddressOf(res);
    const reader = readBody(res, maxBodyBytes, headers["content-length"] ?? "");
    const request = reader.body
      .then(async (bodyBytes) => {
        const event = toApiGatewayV2Event(method, rawPath, rawQueryString, headers, bodyBytes.toString("utf8"), sourceIp);
        const result = await handler(event);
        if (reader.aborted()) return;
        const resultHeaders: Record<string, string> = {};
        for (const [k, v] of Object.entries(result.headers ?? {})) resultHeaders[k] = String(v);
        writeResponse(res, result.statusCode ?? 200, resultHeaders, result.body ?? "");
      })
      .catch((err: unknown) => {
        if (reader.aborted()) return;
        if (err instanceof BodyTooLargeError) {
          writeResponse(res, 413, jsonHeaders, errorBody("PAYLOAD_TOO_LARGE", err.message), true);
          return;
        }
        logger.error({ err }, "gateway failure");
        writeResponse(res, 500, jsonHeaders, errorBody("INTERNAL", "unexpected gateway error"));
      });
    inFlight.add(request);
    void request.finally(() => inFlight.delete(request));
  });

  const { token, port } = await listen(app, options.host, options.port, "ingest gateway");
  logger.info({ port }, "ingest gateway listening");
  return {
    port,
    /** Stops accepting, then waits (at most drainTimeoutMs) for requests in flight to be answered. */
    async close(drainTimeoutMs = 5000) {
      uws.us_listen_socket_close(token);
      await waitAtMost(Promise.allSettled([...inFlight]), drainTimeoutMs);
    },
  };
}
