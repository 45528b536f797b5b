// `npm run package` builds the deployment offline; the generated CloudFormation has the functions, event sources, DLQ
// and ReportBatchItemFailures, and the bundled handler runs on its own against Redis.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeRedis, createRedis } from "../core/redis.js";
import { campaignKeys } from "../core/store/keys.js";
import { kinesisEvent, sqsEvent } from "./fixtures/aws-events.js";
import { payment, readTotals } from "./support/counters.js";
import { RedisServer } from "./support/redis-server.js";

const exec = promisify(execFile);
const root = join(import.meta.dirname, "..");
type Template = {
  // biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON, checked field by field below
  Resources: Record<string, { Type: string; Properties: any }>;
  Parameters: Record<string, { Type: string; Default: string }>;
};
let template: Template;
let output: string;

beforeAll(async () => {
  // No AWS credentials and no network besides loopback: packaging must not need either.
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: "",
    AWS_SECRET_ACCESS_KEY: "",
    AWS_PROFILE: "",
    HOME: mkdtempSync(join(tmpdir(), "sls-home-")),
  };
  const result = await exec("npm", ["run", "package"], { cwd: root, env, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 });
  output = `${result.stdout}\n${result.stderr}`;
  template = JSON.parse(readFileSync(join(root, ".serverless/cloudformation-template-update-stack.json"), "utf8")) as Template;
}, 200_000);

const resource = (name: string) => {
  const r = template.Resources[name];
  if (!r) throw new Error(`no resource ${name} in the template; have ${Object.keys(template.Resources).join(", ")}`);
  return r;
};
const ofType = (type: string) => Object.values(template.Resources).filter((r) => r.Type === type);

describe("npm run package", () => {
  it("packages the service without AWS credentials", () => {
    expect(output).toContain("Service packaged");
  });

  it("declares the three functions with their handlers, VPC and Redis settings from SSM", () => {
    // biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties
    const functions: Record<string, any> = Object.fromEntries(
      ofType("AWS::Lambda::Function").map((f) => [f.Properties.FunctionName, f.Properties]),
    );
    expect(Object.keys(functions).sort()).toEqual([
      "sales-counter-dev-ingestHttp",
      "sales-counter-dev-ingestQueue",
      "sales-counter-dev-ingestStream",
    ]);
    expect(functions["sales-counter-dev-ingestHttp"].Handler).toBe("ingest/handlers/ingest-http.handler");
    expect(functions["sales-counter-dev-ingestQueue"].Handler).toBe("ingest/handlers/ingest-queue.handler");
    expect(functions["sales-counter-dev-ingestStream"].Handler).toBe("ingest/handlers/ingest-stream.handler");
    for (const fn of Object.values(functions)) {
      expect(fn.Runtime).toBe("nodejs20.x");
      expect(fn.Timeout).toBeLessThanOrEqual(30);
      expect(JSON.stringify(fn.VpcConfig.SubnetIds)).toContain("PrivateSubnetIds");
      expect(JSON.stringify(fn.VpcConfig.SecurityGroupIds)).toContain("LambdaSecurityGroupIds");
      expect(fn.Environment.Variables.REDIS_CLUSTER_NODES).toEqual({ Ref: "RedisClusterNodes" });
      expect(fn.Environment.Variables.REDIS_URL).toBe("");
      expect(fn.Environment.Variables.INGEST_SECRET_SSM_PARAMETER).toBe("/sales-counter/dev/ingest-secret");
    }
    expect(template.Parameters.RedisClusterNodes).toEqual({
      Type: "AWS::SSM::Parameter::Value<String>",
      Default: "/sales-counter/dev/redis-cluster-nodes",
    });
    expect(template.Parameters.PrivateSubnetIds?.Type).toBe("AWS::SSM::Parameter::Value<List<AWS::EC2::Subnet::Id>>");
  });

  it("routes POST /v1/payments of an HTTP API to ingestHttp", () => {
    expect(resource("HttpApiRoutePostV1Payments").Properties.RouteKey).toBe("POST /v1/payments");
    expect(JSON.stringify(resource("HttpApiIntegrationIngestHttp").Properties)).toContain("IngestHttpLambdaFunction");
    expect(resource("HttpApiIntegrationIngestHttp").Properties.PayloadFormatVersion).toBe("2.0");
  });

  it("feeds ingestQueue from an SQS queue with a dead-letter queue and ReportBatchItemFailures", () => {
    const mapping = resource("IngestQueueEventSourceMappingSQSPaymentsQueue").Properties;
    expect(mapping.EventSourceArn).toEqual({ "Fn::GetAtt": ["PaymentsQueue", "Arn"] });
    expect(mapping.FunctionName).toEqual({ "Fn::GetAtt": ["IngestQueueLambdaFunction", "Arn"] });
    expect(mapping.FunctionResponseTypes).toEqual(["ReportBatchItemFailures"]);
    const queue = resource("PaymentsQueue");
    expect(queue.Type).toBe("AWS::SQS::Queue");
    expect(queue.Properties.RedrivePolicy.deadLetterTargetArn).toEqual({ "Fn::GetAtt": ["PaymentsDeadLetterQueue", "Arn"] });
    expect(queue.Properties.RedrivePolicy.maxReceiveCount).toBeGreaterThan(1);
    expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * resource("IngestQueueLambdaFunction").Properties.Timeout);
    expect(resource("PaymentsDeadLetterQueue").Type).toBe("AWS::SQS::Queue");
  });

  it("feeds ingestStream from Kinesis and MSK with ReportBatchItemFailures", () => {
    const kinesis = resource("IngestStreamEventSourceMappingKinesisPaymentsStream").Properties;
    expect(kinesis.EventSourceArn).toEqual({ "Fn::GetAtt": ["PaymentsStream", "Arn"] });
    expect(kinesis.FunctionResponseTypes).toEqual(["ReportBatchItemFailures"]);
    expect(kinesis.StartingPosition).toBe("TRIM_HORIZON");
    const msk = resource("IngestStreamEventSourceMappingMSKMskClusterArnPayments").Properties;
    expect(msk.EventSourceArn).toEqual({ Ref: "MskClusterArn" });
    expect(msk.Topics).toEqual(["payments"]);
    expect(msk.FunctionResponseTypes).toEqual(["ReportBatchItemFailures"]);
    expect(msk.FunctionName).toEqual({ "Fn::GetAtt": ["IngestStreamLambdaFunction", "Arn"] });
    // Batches that exhaust their retries land in a queue instead of being dropped.
    const onFailure = { OnFailure: { Destination: { "Fn::GetAtt": ["StreamFailuresQueue", "Arn"] } } };
    expect(kinesis.DestinationConfig).toEqual(onFailure);
    expect(msk.DestinationConfig).toEqual(onFailure);
  });

  describe("the bundled artifacts", () => {
    let server: RedisServer;
    let dir: string;
    // Each artifact runs in a fresh node process, as in a new Lambda container: only the unzipped files, no node_modules.
    const runner =
      "const { handler } = await import(process.env.HANDLER_FILE); const result = await handler(JSON.parse(process.env.EVENT));" +
      "process.stdout.write(JSON.stringify(result)); process.exit(0);";
    const load = async (name: string) => {
      await exec("unzip", ["-qo", join(root, `.serverless/${name}.zip`), "-d", join(dir, name)]);
      const file = join(dir, name, `ingest/handlers/${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}.mjs`);
      return async (event: unknown) => {
        const env = { PATH: process.env.PATH, REDIS_URL: server.url, CAMPAIGN: "bundle", SHARDS: "4", LOG_LEVEL: "silent" };
        const { stdout } = await exec("node", ["--input-type=module", "-e", runner], {
          cwd: dir,
          env: { ...env, HANDLER_FILE: pathToFileURL(file).href, EVENT: JSON.stringify(event) },
          timeout: 30_000,
        });
        return JSON.parse(stdout) as unknown;
      };
    };
    beforeAll(async () => {
      server = await RedisServer.start();
      dir = mkdtempSync(join(tmpdir(), "sls-artifact-"));
    });
    afterAll(async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("run on their own (Lua compiled in, no node_modules) and count SQS, Kinesis and HTTP API events", async () => {
      const [queue, stream, http] = await Promise.all(["ingestQueue", "ingestStream", "ingestHttp"].map(load));
      const a = payment({ campaign: "bundle", amount: 700 });
      const b = payment({ campaign: "bundle", amount: 20 });
      const c = payment({ campaign: "bundle", amount: 3 });
      const sqs = sqsEvent([
        { messageId: "1", body: a },
        { messageId: "2", body: a },
        { messageId: "3", body: "nope" },
      ]);
      expect(await queue!(sqs)).toEqual({ batchItemFailures: [] });
      expect(await stream!(kinesisEvent([{ sequenceNumber: "1", body: b }]))).toEqual({ batchItemFailures: [] });
      const httpEvent = {
        version: "2.0",
        rawPath: "/v1/payments",
        headers: {},
        requestContext: { http: { method: "POST", path: "/v1/payments" } },
        body: JSON.stringify(c),
        isBase64Encoded: false,
      };
      expect(await http!(httpEvent)).toMatchObject({ statusCode: 200 });
      const redis = createRedis({ redisUrl: server.url, redisClusterNodes: undefined }, { name: "check" });
      expect((await readTotals(redis, "bundle", 4)).net).toBe(723n);
      expect(await redis.llen(campaignKeys("bundle", 4).deadLetters)).toBe(1);
      await closeRedis(redis);
    });
  });
});
