// `npm run package -- --stage prod` builds offline a template that holds what AWS documents for each setting
// (each check names the AWS page it follows; docs/lambda.md explains the numbers).
import { describe, expect, it } from "vitest";
import { parseConfig } from "../core/config.js";
import { eventFunctionAsync } from "../ingest/local/lambda-invoke-api/functions.js";
import {
  type Context,
  evaluate,
  type Json,
  functionNames as names,
  statementsOf,
  usePackagedService,
} from "./support/serverless-package.js";

const pkg = usePackagedService("prod");
const props = (name: string) => pkg.resource(name).Properties;
const fn = (name: string) => pkg.functionProperties(name);
const ofType = (type: string) => pkg.ofType(type);
// A deployment in China's partition, with an MSK cluster from the infrastructure stack.
const cluster = "arn:aws-cn:kafka:cn-north-1:123456789012:cluster/sales/0f6f-4c2a-9e1b-2";
const context: Context = {
  "AWS::Partition": "aws-cn",
  "AWS::Region": "cn-north-1",
  "AWS::AccountId": "123456789012",
  MskClusterArn: cluster,
  "PaymentsQueue.Arn": "arn:aws-cn:sqs:cn-north-1:123456789012:sales-counter-prod-payments",
  "StreamFailuresQueue.Arn": "arn:aws-cn:sqs:cn-north-1:123456789012:sales-counter-prod-stream-failures",
  "PaymentsStream.Arn": "arn:aws-cn:kinesis:cn-north-1:123456789012:stream/sales-counter-prod-payments",
  // What the infrastructure's SSM parameter holds: the AUTH token secret's full ARN (with its random suffix).
  RedisAuthSecretArn: "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:RedisAuthToken3C6A1B2-AbCdEf",
};
/** The actions a role allows on each resource, with the ARNs as CloudFormation resolves them in `context`. */
const grants = (role: string) =>
  statementsOf(pkg.template, role).map((s: Json) => ({
    actions: [s.Action].flat() as string[],
    resources: [evaluate(s.Resource, context)].flat() as string[],
    condition: s.Condition,
  }));
const grantOf = (role: string, action: string) => {
  const found = grants(role).filter((g: { actions: string[] }) => g.actions.includes(action));
  if (found.length !== 1) throw new Error(`${role}: ${found.length} statements allow ${action}`);
  return found[0]!;
};

describe("npm run package -- --stage prod", () => {
  it("packages the service without AWS credentials", () => {
    expect(pkg.output).toContain("Service packaged");
  });

  it("runs every function on a supported Node.js LTS runtime (nodejs20.x is deprecated: 'Lambda runtimes')", () => {
    const functions = ofType("AWS::Lambda::Function").map((f) => f.Properties);
    expect(functions.map((f) => f.FunctionName).sort()).toEqual(names.map((n) => `sales-counter-prod-${n}`).sort());
    for (const f of functions) expect(["nodejs22.x", "nodejs24.x"]).toContain(f.Runtime);
  });

  it("reads the VPC, Redis and MSK settings from the infrastructure's SSM parameters", () => {
    for (const name of names) {
      expect(JSON.stringify(fn(name).VpcConfig.SubnetIds)).toContain("PrivateSubnetIds");
      expect(fn(name).Environment.Variables.REDIS_CLUSTER_NODES).toEqual({ Ref: "RedisClusterNodes" });
    }
    const parameters = Object.fromEntries(Object.entries(pkg.template.Parameters).map(([k, v]) => [k, v.Default]));
    expect(parameters).toMatchObject({
      PrivateSubnetIds: "/sales-counter/prod/private-subnet-ids",
      LambdaSecurityGroupIds: "/sales-counter/prod/lambda-security-group-ids",
      RedisClusterNodes: "/sales-counter/prod/redis-cluster-nodes",
      MskClusterArn: "/sales-counter/prod/msk-cluster-arn",
    });
  });

  it("gives the signing secret's SSM parameter to ingestHttp only, and bounds Redis work well inside the timeout", () => {
    expect(fn("ingestHttp").Environment.Variables.INGEST_SECRET_SSM_PARAMETER).toBe("/sales-counter/prod/ingest-secret");
    for (const name of names) {
      if (name !== "ingestHttp") expect(fn(name).Environment.Variables.INGEST_SECRET_SSM_PARAMETER).toBeUndefined();
      expect(Number(fn(name).Environment.Variables.INGEST_DEADLINE_MS) + 1000).toBeLessThanOrEqual((fn(name).Timeout * 1000) / 2);
    }
  });

  it("gives each function its own role, with partition-independent ARNs and logs to its own group only", () => {
    expect(pkg.template.Resources.IamRoleLambdaExecution).toBeUndefined();
    const roles = names.map((n) => fn(n).Role["Fn::GetAtt"][0] as string);
    expect(new Set(roles).size).toBe(names.length);
    for (const [i, role] of roles.entries()) {
      expect(pkg.resource(role).Type).toBe("AWS::IAM::Role");
      expect(JSON.stringify(props(role))).not.toMatch(/arn:aws:/);
      expect(grantOf(role, "logs:PutLogEvents").resources).toEqual([
        `arn:aws-cn:logs:cn-north-1:123456789012:log-group:/aws/lambda/sales-counter-prod-${names[i]}:*`,
      ]);
    }
  });

  it("lets ingestHttp read exactly its one SSM parameter, decrypting only through SSM; no other role touches SSM", () => {
    expect(grantOf("IngestHttpRole", "ssm:GetParameter").resources).toEqual([
      "arn:aws-cn:ssm:cn-north-1:123456789012:parameter/sales-counter/prod/ingest-secret",
    ]);
    const decrypt = grantOf("IngestHttpRole", "kms:Decrypt");
    expect(decrypt.resources).toEqual(["arn:aws-cn:kms:cn-north-1:123456789012:key/*"]);
    expect(evaluate(decrypt.condition, context)).toEqual({ StringEquals: { "kms:ViaService": "ssm.cn-north-1.amazonaws.com" } });
    for (const role of ["IngestQueueRole", "IngestStreamRole", "IngestEventRole"])
      expect(grants(role).some((g: { actions: string[] }) => g.actions.some((a) => a.startsWith("ssm:")))).toBe(false);
  });

  it("connects every function to ElastiCache over TLS, with the AUTH token's secret named by the infrastructure's SSM parameter", () => {
    expect(pkg.template.Parameters.RedisAuthSecretArn).toEqual({
      Type: "AWS::SSM::Parameter::Value<String>",
      Default: "/sales-counter/prod/redis-auth-secret-arn",
    });
    for (const name of names) {
      const env = fn(name).Environment.Variables;
      expect(env).toMatchObject({ REDIS_TLS: "1", REDIS_PASSWORD_SECRET_ARN: { Ref: "RedisAuthSecretArn" } });
      // The token itself never sits in the function's configuration: it is read from Secrets Manager at cold start.
      expect(env.REDIS_PASSWORD).toBeUndefined();
    }
  });

  it("lets each role read exactly the AUTH token's secret, with no KMS grant (the AWS managed key needs none)", () => {
    for (const name of names) {
      const role = fn(name).Role["Fn::GetAtt"][0] as string;
      const read = grantOf(role, "secretsmanager:GetSecretValue");
      expect(read.actions).toEqual(["secretsmanager:GetSecretValue"]);
      expect(read.resources).toEqual([context.RedisAuthSecretArn]);
      // "GetSecretValue, Required permissions": kms:Decrypt only for a customer managed key; the infrastructure's
      // secret uses aws/secretsmanager (test/infra-stacks checks it has no KmsKeyId).
      const viaSecretsManager = grants(role).filter((g: { condition?: unknown }) =>
        JSON.stringify(g.condition ?? {}).includes("secretsmanager"),
      );
      expect(viaSecretsManager).toEqual([]);
    }
  });

  it("acknowledges a payment in prod only once a replica has it (WAIT 1), within the ingest deadline", () => {
    for (const name of names) {
      const env = fn(name).Environment.Variables;
      expect(env.REDIS_WAIT_REPLICAS).toBe("1");
      // The values as the functions parse them (core/config.ts): a replica, a WAIT well inside the invocation's deadline.
      const strings = Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === "string")) as Record<string, string>;
      const config = parseConfig({ ...strings, INGEST_SECRET: "a-prod-signing-secret-0123" });
      expect(config).toMatchObject({ redisWaitReplicas: 1, redisTls: true });
      expect(config.redisWaitTimeoutMs * 4).toBeLessThanOrEqual(config.ingestDeadlineMs);
    }
  });

  it("grants the SQS and Kinesis mappings their documented actions on their own queue and stream", () => {
    const queue = grantOf("IngestQueueRole", "sqs:ReceiveMessage");
    expect(queue.actions.sort()).toEqual(["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]);
    expect(queue.resources).toEqual([context["PaymentsQueue.Arn"]]);
    // "Process Amazon Kinesis Data Streams records with Lambda": ListShards and DescribeStreamSummary among them.
    const kinesis = grantOf("IngestStreamRole", "kinesis:ListShards");
    expect(kinesis.actions).toEqual(
      expect.arrayContaining(["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator"]),
    );
    expect(kinesis.resources).toEqual([context["PaymentsStream.Arn"]]);
    expect(grantOf("IngestStreamRole", "sqs:SendMessage").resources).toEqual([context["StreamFailuresQueue.Arn"]]);
    expect(grantOf("IngestEventRole", "sqs:SendMessage").resources).toEqual([context["PaymentsQueue.Arn"]]);
  });

  it("grants MSK's cluster, topic and consumer-group actions for IAM authentication on exactly this cluster's ARNs", () => {
    expect(grantOf("IngestStreamRole", "kafka:DescribeClusterV2").actions).toContain("kafka:GetBootstrapBrokers");
    expect(grantOf("IngestStreamRole", "kafka:DescribeClusterV2").resources).toEqual([cluster]);
    expect(grantOf("IngestStreamRole", "kafka-cluster:Connect").resources).toEqual([cluster]);
    expect(grantOf("IngestStreamRole", "kafka-cluster:ReadData").resources).toEqual([
      "arn:aws-cn:kafka:cn-north-1:123456789012:topic/sales/0f6f-4c2a-9e1b-2/payments",
    ]);
    const group = grantOf("IngestStreamRole", "kafka-cluster:AlterGroup");
    expect(group.actions).toContain("kafka-cluster:DescribeGroup");
    expect(group.resources).toEqual(["arn:aws-cn:kafka:cn-north-1:123456789012:group/sales/0f6f-4c2a-9e1b-2/sales-counter-prod-ingest"]);
    expect(grantOf("IngestStreamRole", "kafka-cluster:DescribeTopic").resources).toEqual(
      grantOf("IngestStreamRole", "kafka-cluster:ReadData").resources,
    );
  });

  it("keeps DLQ messages longer than the source queue, and the visibility timeout at 6 x timeout + batching window", () => {
    const queue = props("PaymentsQueue");
    const mapping = props("IngestQueueEventSourceMappingSQSPaymentsQueue");
    // "Setting-up dead-letter queue retention": a standard DLQ keeps the message's original enqueue time.
    expect(props("PaymentsDeadLetterQueue").MessageRetentionPeriod).toBeGreaterThan(queue.MessageRetentionPeriod);
    expect(queue.RedrivePolicy.deadLetterTargetArn).toEqual({ "Fn::GetAtt": ["PaymentsDeadLetterQueue", "Arn"] });
    expect(queue.RedrivePolicy.maxReceiveCount).toBeGreaterThanOrEqual(5);
    // "Creating and configuring an Amazon SQS event source mapping".
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * fn("ingestQueue").Timeout + mapping.MaximumBatchingWindowInSeconds);
    expect(mapping.FunctionResponseTypes).toEqual(["ReportBatchItemFailures"]);
    // Room for an ingestEvent invocation record (1 MiB, SQS's maximum).
    expect(queue.MaximumMessageSize).toBe(1048576);
  });

  it("reserves concurrency per function and caps the queue's mapping below its reservation", () => {
    for (const name of names) expect(fn(name).ReservedConcurrentExecutions).toBeGreaterThan(0);
    // "Configuring scaling behavior for SQS event source mappings": maximum concurrency at most the reserved.
    const max = props("IngestQueueEventSourceMappingSQSPaymentsQueue").ScalingConfig.MaximumConcurrency;
    expect(max).toBeGreaterThanOrEqual(2);
    expect(max).toBeLessThanOrEqual(fn("ingestQueue").ReservedConcurrentExecutions);
    // The HTTP API is the one that must never starve: it holds the largest reservation.
    for (const name of names)
      expect(fn("ingestHttp").ReservedConcurrentExecutions).toBeGreaterThanOrEqual(fn(name).ReservedConcurrentExecutions);
  });

  it("throttles the HTTP API stage (429 to retry, not Lambda's throttle as a bare 500) and writes access logs", () => {
    const stage = props("HttpApiStage");
    expect(stage.DefaultRouteSettings.ThrottlingRateLimit).toBeGreaterThan(0);
    expect(stage.DefaultRouteSettings.ThrottlingBurstLimit).toBeGreaterThan(0);
    expect(stage.DefaultRouteSettings.ThrottlingBurstLimit).toBeLessThanOrEqual(stage.DefaultRouteSettings.ThrottlingRateLimit);
    expect(stage.AccessLogSettings.DestinationArn).toEqual({ "Fn::GetAtt": ["HttpApiLogGroup", "Arn"] });
    expect(JSON.parse(stage.AccessLogSettings.Format)).toMatchObject({
      status: "$context.status",
      integrationError: "$context.integrationErrorMessage",
    });
    expect(props("HttpApiLogGroup").RetentionInDays).toBeGreaterThan(0);
    expect(props("HttpApiRoutePostV1Payments").RouteKey).toBe("POST /v1/payments");
  });

  it("retries Kinesis until a record age bound, splits failing batches and keeps what it gives up", () => {
    const kinesis = props("IngestStreamEventSourceMappingKinesisPaymentsStream");
    expect(kinesis.FunctionResponseTypes).toEqual(["ReportBatchItemFailures"]);
    expect(kinesis.MaximumRetryAttempts).toBeGreaterThanOrEqual(1000);
    expect(kinesis.MaximumRecordAgeInSeconds).toBeGreaterThanOrEqual(3600);
    expect(kinesis.MaximumRecordAgeInSeconds).toBeLessThan(props("PaymentsStream").RetentionPeriodHours * 3600);
    expect(kinesis.BisectBatchOnFunctionError).toBe(true);
    expect(kinesis.ParallelizationFactor).toBeGreaterThan(1);
    expect(kinesis.DestinationConfig).toEqual({ OnFailure: { Destination: { "Fn::GetAtt": ["StreamFailuresQueue", "Arn"] } } });
    // The failure queue holds metadata only: no longer than its records stay readable in the stream.
    const replayable = props("PaymentsStream").RetentionPeriodHours * 3600 - kinesis.MaximumRecordAgeInSeconds;
    expect(props("StreamFailuresQueue").MessageRetentionPeriod).toBeLessThanOrEqual(replayable);
  });

  it("runs the MSK mapping in provisioned mode with a consumer group, partial batch responses, retries and splitting", () => {
    const msk = props("IngestStreamEventSourceMappingMSKMskClusterArnPayments");
    // "Configuring error handling controls for Kafka event sources": these apply in provisioned mode.
    expect(msk.ProvisionedPollerConfig.MinimumPollers).toBeGreaterThanOrEqual(1);
    expect(msk.ProvisionedPollerConfig.MaximumPollers).toBeGreaterThanOrEqual(msk.ProvisionedPollerConfig.MinimumPollers);
    expect(msk.AmazonManagedKafkaEventSourceConfig).toEqual({ ConsumerGroupId: "sales-counter-prod-ingest" });
    expect(msk.FunctionResponseTypes).toEqual(["ReportBatchItemFailures"]);
    expect(msk.MaximumRetryAttempts).toBeGreaterThanOrEqual(1000);
    expect(msk.MaximumRecordAgeInSeconds).toBeGreaterThanOrEqual(3600);
    expect(msk.BisectBatchOnFunctionError).toBe(true);
    expect(msk.DestinationConfig).toEqual({ OnFailure: { Destination: { "Fn::GetAtt": ["StreamFailuresQueue", "Arn"] } } });
  });

  it("retries ingestEvent's asynchronous invocations as the local Invoke API does, then sends them to the payments queue", () => {
    const config = ofType("AWS::Lambda::EventInvokeConfig").map((c) => c.Properties);
    expect(config).toHaveLength(1);
    expect(config[0]).toMatchObject({
      FunctionName: { Ref: "IngestEventLambdaFunction" },
      MaximumRetryAttempts: eventFunctionAsync.maximumRetryAttempts,
      MaximumEventAgeInSeconds: eventFunctionAsync.maximumEventAgeSeconds,
      DestinationConfig: { OnFailure: { Destination: { "Fn::GetAtt": ["PaymentsQueue", "Arn"] } } },
    });
  });

  it("traces every function with X-Ray in prod", () => {
    for (const name of names) expect(fn(name).TracingConfig).toEqual({ Mode: "Active" });
  });
});
