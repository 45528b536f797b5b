// bench:ingest rows through the front doors: the local HTTP gateway (signed POSTs) and the Lambda Invoke API (InvokeCommand).
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { sign } from "../../ingest/domain/signature.js";
import { sqsEvent } from "../../test/fixtures/aws-events.js";
import type { RedisServer } from "../../test/support/redis-server.js";
import type { IngestOptions } from "../ingest.js";
import { startChild } from "./child.js";
import { paymentEvents, paymentsBody } from "./events.js";
import { campaign, emptyDatabases, naive, warmupBatches } from "./ingest-writer.js";
import { runLoad } from "./load.js";
import type { ResultRow } from "./results.js";
import { timedLoop } from "./timed-loop.js";

const secret = "bench-secret-0123456789";

export async function gatewayRow(server: RedisServer, options: IngestOptions): Promise<ResultRow> {
  await emptyDatabases([server]);
  const gateway = await startChild("gateway", {
    REDIS_URL: server.url,
    CAMPAIGN: campaign,
    SHARDS: String(options.shards),
    INGEST_SECRET: secret,
  });
  try {
    const load = await runLoad(`gateway POST ${options.batch}-event batches`, {
      url: `http://127.0.0.1:${gateway.info.port}/v1/payments`,
      method: "POST",
      connections: options.connections,
      pipelining: 1,
      durationSeconds: options.duration,
      headers: { "content-type": "application/json" },
      setupRequest: (req) => {
        const body = paymentsBody(options.batch, campaign);
        return { ...req, body, headers: { ...req.headers, "x-signature": sign(secret, body) } };
      },
    });
    const { reqPerSec, ...rest } = load;
    return {
      scenario: "single node",
      subject: `HTTP gateway, signed ${options.batch}-event POSTs`,
      baseline: naive,
      metrics: { perSec: reqPerSec * options.batch, reqPerSec, ...rest },
    };
  } finally {
    await gateway.stop();
  }
}

/** Records per SQS invocation in the Lambda row; each record carries batch / lambdaRecords events. */
const lambdaRecords = 10;

/**
 * The real @aws-sdk/client-lambda InvokeCommand (RequestResponse) against the local Invoke API child: ingestQueue with
 * SQS events of lambdaRecords records, `concurrency` invocations in flight from this process.
 */
export async function lambdaRow(server: RedisServer, options: IngestOptions): Promise<ResultRow> {
  await emptyDatabases([server]);
  const api = await startChild("lambda-api", { REDIS_URL: server.url, CAMPAIGN: campaign, SHARDS: String(options.shards) });
  const client = new LambdaClient({
    endpoint: `http://127.0.0.1:${api.info.port}`,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDBENCH", secretAccessKey: "bench-secret" },
    maxAttempts: 1,
  });
  const perRecord = Math.max(1, Math.floor(options.batch / lambdaRecords));
  let message = 0;
  const invokeOnce = async () => {
    const event = sqsEvent(
      Array.from({ length: lambdaRecords }, () => ({
        messageId: `m-${++message}`,
        body: paymentEvents(perRecord, campaign).map(({ category: _c, ...e }) => e),
      })),
    );
    const out = await client.send(new InvokeCommand({ FunctionName: "ingestQueue", Payload: Buffer.from(JSON.stringify(event)) }));
    const answer = JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString("utf8")) as { batchItemFailures?: unknown[] };
    if (out.FunctionError || (answer.batchItemFailures?.length ?? 0) > 0) throw new Error(`ingestQueue failed: ${JSON.stringify(answer)}`);
    return lambdaRecords * perRecord;
  };
  try {
    for (let i = 0; i < warmupBatches; i++) await Promise.all(Array.from({ length: options.concurrency }, invokeOnce));
    const metrics = await timedLoop(
      `Lambda InvokeCommand ingestQueue, ${lambdaRecords} × ${perRecord} events`,
      options.duration * 1000,
      options.concurrency,
      invokeOnce,
    );
    return {
      scenario: "single node",
      subject: `Lambda Invoke API, InvokeCommand ingestQueue (${lambdaRecords} SQS records × ${perRecord} events)`,
      baseline: naive,
      metrics,
    };
  } finally {
    client.destroy();
    await api.stop();
  }
}
