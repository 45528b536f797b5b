// The alarms serverless.yml's stack deploys (packaged offline): the queues and streams that fail quietly, and each
// function's own: Lambda's Errors and Throttles, and the EMF figures its handler writes (RedisErrors, BatchItemFailures,
// ingestHttp's 503 answers), each under exactly the namespace and dimensions the real EMF backend writes.
import { describe, expect, it, vi } from "vitest";
import type { IngestMetrics } from "../ingest/domain/metrics.js";
import { createEmfIngestMetrics } from "../ingest/domain/metrics-emf.js";
import { emfTarget, sameDimensions } from "./support/cfn.js";
import { type Json, functionNames as names, usePackagedService } from "./support/serverless-package.js";

const pkg = usePackagedService("prod");
const fn = (name: string) => pkg.functionProperties(name);
const ofType = (type: string) => pkg.ofType(type);

describe("the alarms of npm run package -- --stage prod", () => {
  it("alarms on iterator age, consumer lag, waiting dead letters, given-up batches and lost async deliveries", () => {
    const alarms = ofType("AWS::CloudWatch::Alarm").map((a) => a.Properties);
    const on = (metric: string) => alarms.filter((a) => a.MetricName === metric);
    expect(on("IteratorAge")[0].Dimensions).toEqual([{ Name: "FunctionName", Value: "sales-counter-prod-ingestStream" }]);
    expect(on("OffsetLag")).toHaveLength(1);
    const queues = on("ApproximateNumberOfMessagesVisible").map((a) => a.Dimensions[0].Value["Fn::GetAtt"][0]);
    expect(queues.sort()).toEqual(["PaymentsDeadLetterQueue", "StreamFailuresQueue"]);
    expect(on("DestinationDeliveryFailures")[0].Dimensions[0].Value).toBe("sales-counter-prod-ingestEvent");
    for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([{ Ref: "LambdaAlarmsTopic" }]);
  });

  it("alarms on each function's own Errors and Throttles", () => {
    const alarms = ofType("AWS::CloudWatch::Alarm").map((a) => a.Properties);
    for (const name of names)
      for (const metric of ["Errors", "Throttles"]) {
        const found = alarms.filter(
          (a) => a.Namespace === "AWS/Lambda" && a.MetricName === metric && a.Dimensions[0].Value === `sales-counter-prod-${name}`,
        );
        expect(found, `${name} ${metric}`).toEqual([
          expect.objectContaining({ Statistic: "Sum", Threshold: 1, TreatMissingData: "notBreaching" }),
        ]);
      }
  });

  it("alarms on the EMF figures each handler writes (RedisErrors, BatchItemFailures, 503s) under exactly their dimensions", () => {
    // What each function reports when Redis fails, written by the real EMF backend (CloudWatch matches a metric by its
    // namespace, name and full dimension set: an alarm that differs in any of them never fires).
    const failing: Record<(typeof names)[number], (m: IngestMetrics) => void> = {
      ingestHttp: (m) => {
        m.redisError("http");
        m.response("http", 503);
      },
      ingestQueue: (m) => {
        m.redisError("sqs");
        m.batchItemFailures("sqs", 1);
      },
      ingestStream: (m) => {
        for (const source of ["kinesis", "kafka"]) {
          m.redisError(source);
          m.batchItemFailures(source, 1);
        }
      },
      ingestEvent: (m) => m.redisError("event"),
    };
    const watched = new Set(["RedisErrors", "BatchItemFailures", "Responses"]);
    const alarms = ofType("AWS::CloudWatch::Alarm").map((a) => a.Properties);
    let checked = 0;
    for (const name of names) {
      const namespace = fn(name).Environment.Variables.METRICS_NAMESPACE;
      for (const doc of emfDocuments({ namespace, functionName: `sales-counter-prod-${name}` }, failing[name])) {
        const { namespace: docNamespace, dimensions, metrics } = emfTarget(doc);
        for (const metric of metrics) {
          if (!watched.has(metric) || doc[metric] === 0) continue;
          const found = alarms.filter((a) => a.Namespace === docNamespace && a.MetricName === metric);
          expect(
            found.filter((a) => sameDimensions(a.Dimensions, dimensions)),
            `${name} ${metric} ${JSON.stringify(dimensions)}`,
          ).toEqual([expect.objectContaining({ Statistic: "Sum", Threshold: 1, ComparisonOperator: "GreaterThanOrEqualToThreshold" })]);
          checked++;
        }
      }
    }
    // http: RedisErrors and 503s; sqs, kinesis, kafka: RedisErrors and BatchItemFailures; event: RedisErrors.
    expect(checked).toBe(9);
  });
});

/** The EMF documents the Lambda backend writes (to stdout, through Powertools) for what `record` counts, parsed. */
function emfDocuments(options: { namespace: string; functionName: string }, record: (m: IngestMetrics) => void): Json[] {
  const lines: string[] = [];
  const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    const metrics = createEmfIngestMetrics(options);
    record(metrics);
    metrics.flush();
  } finally {
    stdout.mockRestore();
  }
  return lines
    .join("")
    .split("\n")
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line));
}
