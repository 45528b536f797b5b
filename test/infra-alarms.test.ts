// The CDK app's alarms (synthesized offline): the stale number, no leader and ElastiCache's events; the aggregator's
// Degraded and StateLossUnhealed, fold and publish errors and Redis reconnects, each under the namespace and dimensions
// the components' EMF lines carry (an alarm that names other dimensions never fires). The Lambda functions' alarms are
// in serverless.yml's stack (test/serverless-alarms).
import { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import type { AggregatorStats } from "../aggregator/aggregator.js";
import { startAggregatorEmf } from "../aggregator/cloudwatch-metrics.js";
import { startBroadcasterEmf } from "../broadcaster/cloudwatch-metrics.js";
import { buildApp } from "../infra/lib/sales-counter-app.js";
import { emfTarget, ofType, only, sameDimensions, type TemplateJson } from "./support/cfn.js";
import { testConfig } from "./support/config.js";

let dataJson: TemplateJson;
let serviceJson: TemplateJson;

beforeAll(() => {
  const app = buildApp({ stage: "prod", region: "ap-northeast-2" });
  dataJson = Template.fromStack(app.data).toJSON() as TemplateJson;
  serviceJson = Template.fromStack(app.service).toJSON() as TemplateJson;
}, 60_000);

describe("alarms", () => {
  const alarms = () => ofType(serviceJson, "AWS::CloudWatch::Alarm").map(([, r]) => r.Properties);

  it("watch the number's age, the leader and Redis events, and notify the alarm topic; the Lambda functions' are not here", () => {
    const byMetric = (name: string) => alarms().filter((a) => a.MetricName === name);
    expect(byMetric("SnapshotAgeSeconds")).toEqual([
      expect.objectContaining({ Namespace: "SalesCounter", Statistic: "Maximum", Threshold: 5, TreatMissingData: "breaching" }),
    ]);
    expect(byMetric("Leader")).toEqual([
      expect.objectContaining({ ComparisonOperator: "LessThanThreshold", Threshold: 1, TreatMissingData: "breaching" }),
    ]);
    // serverless.yml's stack owns the functions and their alarms (serverless/function-alarms.yml, test/serverless-package).
    expect(alarms().filter((a) => a.Namespace === "AWS/Lambda")).toEqual([]);
    const [redisEvents] = byMetric("NumberOfMessagesPublished");
    const [, group] = only(dataJson, "AWS::ElastiCache::ReplicationGroup");
    // The topic the replication group notifies is the one the alarm counts.
    expect(JSON.stringify(redisEvents.Dimensions)).toContain(group.Properties.NotificationTopicArn.Ref);
    const [topicId] = only(serviceJson, "AWS::SNS::Topic");
    for (const a of alarms()) expect(a.AlarmActions).toEqual([{ Ref: topicId }]);
  });

  it("watch the aggregator's Degraded and StateLossUnhealed, fold and publish errors and Redis reconnects as the EMF lines carry them", () => {
    const config = testConfig({ STAGE: "prod", METRICS_NAMESPACE: "SalesCounter", INGEST_SECRET: "a-test-secret-of-16+" });
    const lines: string[] = [];
    // A leader whose counters fell below the mark long ago, with errors and a reconnect since its previous line.
    let errors = 0;
    let reconnects = 0;
    const stats = (): AggregatorStats => ({
      epoch: "e",
      lastSeq: 1,
      lastFoldMs: 1,
      folds: 1,
      publishes: 1,
      skippedTicks: 0,
      degraded: true,
      stateLossUnhealed: true,
      errors: { epoch: 0, lease: 0, fold: errors, "state-loss": 0, publish: errors },
      redisReconnects: reconnects,
    });
    const aggregator = startAggregatorEmf(config, { isLeader: () => true, stats }, (l) => lines.push(l));
    errors = 2;
    reconnects = 1;
    aggregator?.publish();
    aggregator?.stop();
    // A broadcaster whose connections were re-established once since it started (deltaOf reads the total at start).
    let reads = 0;
    const broadcasterReconnects = () => (reads++ === 0 ? 0 : 1);
    startBroadcasterEmf(config, { connections: () => 1, latest: () => undefined, redisReconnects: broadcasterReconnects }, (l) =>
      lines.push(l),
    )?.stop();
    const docs = lines.map((l) => JSON.parse(l));
    const expected = {
      Degraded: { statistic: "Maximum", periods: 1 },
      StateLossUnhealed: { statistic: "Maximum", periods: 1 },
      FoldErrors: { statistic: "Sum", periods: 3 },
      PublishErrors: { statistic: "Sum", periods: 3 },
      RedisReconnects: { statistic: "Sum", periods: 1 },
    } as const;
    const checked = new Set<string>();
    for (const [metric, rule] of Object.entries(expected))
      for (const doc of docs.filter((d) => (d[metric] ?? 0) > 0)) {
        const { namespace, dimensions } = emfTarget(doc);
        const found = alarms().filter(
          (a) => a.Namespace === namespace && a.MetricName === metric && sameDimensions(a.Dimensions, dimensions),
        );
        expect(found, `${metric} ${JSON.stringify(dimensions)}`).toEqual([
          expect.objectContaining({
            Statistic: rule.statistic,
            Threshold: 1,
            ComparisonOperator: "GreaterThanOrEqualToThreshold",
            EvaluationPeriods: rule.periods,
            TreatMissingData: "notBreaching",
          }),
        ]);
        checked.add(`${metric} ${doc.Service}`);
      }
    expect([...checked].sort()).toEqual([
      "Degraded aggregator",
      "FoldErrors aggregator",
      "PublishErrors aggregator",
      "RedisReconnects aggregator",
      "RedisReconnects broadcaster",
      "StateLossUnhealed aggregator",
    ]);
  });
});
