// CloudWatch alarms for what loses a sale: a stale number, no leader, a frozen (degraded) number and a state loss that does
// not heal, fold and publish errors, Redis failover events and reconnects, no healthy broadcaster. All notify one SNS
// topic (with an e-mail subscription when alarmEmail is given). The Lambda functions' alarms (Errors, Throttles and their
// EMF figures) live with the functions, in serverless.yml's stack (serverless/function-alarms.yml).
import {
  aws_cloudwatch_actions as actions,
  aws_cloudwatch as cloudwatch,
  Duration,
  type aws_elasticloadbalancingv2 as elbv2,
  aws_sns as sns,
  aws_sns_subscriptions as subscriptions,
} from "aws-cdk-lib";
import { Construct } from "constructs";
import type { Parameters } from "./parameters.js";
import { metricsNamespace } from "./services.js";

/** What the viewer page calls stale: 3 heartbeats + 2 s (broadcaster/routes/pages.ts) with HEARTBEAT_MS=1000. */
export const staleAfterSeconds = 5;

export interface AlarmSources {
  readonly redisEventsTopic: sns.ITopic;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
}

export class SaleAlarms extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, sources: AlarmSources, p: Parameters) {
    super(scope, id);
    this.topic = new sns.Topic(this, "Topic", { displayName: `sales-counter ${p.stage} alarms` });
    if (p.alarmEmail !== undefined) this.topic.addSubscription(new subscriptions.EmailSubscription(p.alarmEmail));
    const minute = Duration.minutes(1);
    const ours = (metricName: string, service: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: metricsNamespace,
        metricName,
        dimensionsMap: { Stage: p.stage, Service: service },
        statistic,
        period: minute,
      });
    const alarm = (name: string, props: cloudwatch.AlarmProps) => {
      const a = new cloudwatch.Alarm(this, name, props);
      a.addAlarmAction(new actions.SnsAction(this.topic));
      a.addOkAction(new actions.SnsAction(this.topic));
      this.alarms.push(a);
      return a;
    };

    // No data is as bad as old data: no broadcaster reporting means nobody shows the number.
    alarm("StaleNumber", {
      alarmDescription: `The number viewers see is older than ${staleAfterSeconds} s (SnapshotAgeSeconds, worst broadcaster)`,
      metric: ours("SnapshotAgeSeconds", "broadcaster", cloudwatch.Stats.MAXIMUM),
      threshold: staleAfterSeconds,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    alarm("NoLeader", {
      alarmDescription: "No aggregator holds the lease: nothing folds or publishes (Leader, maximum over the tasks)",
      metric: ours("Leader", "aggregator", cloudwatch.Stats.MAXIMUM),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    // The aggregator's own view of the number (aggregator/cloudwatch-metrics.ts, leader only; a missing leader is
    // NoLeader's): Degraded while it republishes the last good snapshot because the counters fell below what viewers
    // saw (a failover rolled writes back; it heals as senders retry), StateLossUnhealed once that outlasts
    // STATE_LOSS_ALERT_AFTER_MS (acknowledged writes lost: reconcile and rebuild, docs/architecture.md).
    alarm("Degraded", {
      alarmDescription: "The number is frozen on the last good snapshot (Degraded): the counters are below what viewers saw",
      metric: ours("Degraded", "aggregator", cloudwatch.Stats.MAXIMUM),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm("StateLossUnhealed", {
      alarmDescription: "Counts were lost and did not come back by retries (StateLossUnhealed): reconcile and rebuild",
      metric: ours("StateLossUnhealed", "aggregator", cloudwatch.Stats.MAXIMUM),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // A failover costs a tick or two, not minutes: errors in three minutes running are a broken fold or publish.
    for (const metricName of ["FoldErrors", "PublishErrors"])
      alarm(metricName, {
        alarmDescription: `The aggregators' ${metricName} every minute for 3 minutes: the number is not being updated`,
        metric: ours(metricName, "aggregator", cloudwatch.Stats.SUM),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    // What the pipeline felt of a Redis failover (or a network cut, a restart): its clients reconnected.
    for (const service of ["aggregator", "broadcaster"])
      alarm(`${service === "aggregator" ? "Aggregator" : "Broadcaster"}RedisReconnects`, {
        alarmDescription: `The ${service}s' Redis connections were lost and re-established (RedisReconnects)`,
        metric: ours("RedisReconnects", service, cloudwatch.Stats.SUM),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    alarm("RedisEvents", {
      alarmDescription: "ElastiCache published an event (failover, node replacement, ...): check the shards and the number",
      metric: new cloudwatch.Metric({
        namespace: "AWS/SNS",
        metricName: "NumberOfMessagesPublished",
        dimensionsMap: { TopicName: sources.redisEventsTopic.topicName },
        statistic: cloudwatch.Stats.SUM,
        period: minute,
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm("NoHealthyBroadcaster", {
      alarmDescription: "No broadcaster passes /readyz behind the load balancer",
      metric: sources.targetGroup.metrics.healthyHostCount({ period: minute, statistic: cloudwatch.Stats.MINIMUM }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 2,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
  }
}
