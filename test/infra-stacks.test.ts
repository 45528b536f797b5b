// The CDK app's templates (synthesized once, offline) hold what a sale needs: Redis in cluster mode with replicas,
// failover, TLS and AUTH; two ECS services; the ALB for long-lived viewers; CloudFront behaviours; the SSM parameters
// serverless.yml reads; no Redis open to the internet; the alarms.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Match, Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import type { AggregatorStats } from "../aggregator/aggregator.js";
import { startAggregatorEmf } from "../aggregator/cloudwatch-metrics.js";
import { startBroadcasterEmf } from "../broadcaster/cloudwatch-metrics.js";
import { buildApp } from "../infra/lib/sales-counter-app.js";
import { coversPort, fromInternet, ingressRules, ofType, only, serverlessSsmParameters, type TemplateJson } from "./support/cfn.js";
import { testConfig } from "./support/config.js";

const root = join(import.meta.dirname, "..");
let data: Template;
let service: Template;
let dataJson: TemplateJson;
let serviceJson: TemplateJson;
const context = { stage: "prod", region: "ap-northeast-2", redisShards: "3", redisReplicasPerShard: "2", broadcasterMinTasks: "4" };

beforeAll(() => {
  const app = buildApp(context);
  data = Template.fromStack(app.data);
  service = Template.fromStack(app.service);
  dataJson = data.toJSON() as TemplateJson;
  serviceJson = service.toJSON() as TemplateJson;
}, 60_000);

describe("ElastiCache", () => {
  it("is one replication group in cluster mode with replicas per shard, Multi-AZ and automatic failover", () => {
    data.resourceCountIs("AWS::ElastiCache::ReplicationGroup", 1);
    data.hasResourceProperties("AWS::ElastiCache::ReplicationGroup", {
      Engine: "redis",
      ClusterMode: "enabled",
      NumNodeGroups: 3,
      ReplicasPerNodeGroup: 2,
      MultiAZEnabled: true,
      AutomaticFailoverEnabled: true,
    });
  });

  it("encrypts in transit (required) and at rest and takes its AUTH token from a generated Secrets Manager secret", () => {
    const [, group] = only(dataJson, "AWS::ElastiCache::ReplicationGroup");
    expect(group.Properties).toMatchObject({
      TransitEncryptionEnabled: true,
      TransitEncryptionMode: "required",
      AtRestEncryptionEnabled: true,
    });
    const [secretId, secret] = ofType(dataJson, "AWS::SecretsManager::Secret").find(([id]) => id.includes("AuthToken"))!;
    expect(group.Properties.AuthToken).toEqual({
      "Fn::Join": ["", ["{{resolve:secretsmanager:", { Ref: secretId }, ":SecretString:::}}"]],
    });
    // AUTH tokens are 16-128 characters without @, " or / (ElastiCache AUTH documentation).
    expect(secret.Properties.GenerateSecretString).toMatchObject({ PasswordLength: 64, ExcludePunctuation: true });
  });

  it("never evicts: an evicted dedupe mark would count a payment again", () => {
    data.hasResourceProperties("AWS::ElastiCache::ParameterGroup", {
      CacheParameterGroupFamily: "redis7",
      Properties: { "cluster-enabled": "yes", "maxmemory-policy": "noeviction" },
    });
  });

  it("is reachable only from the aggregator, broadcaster and Lambda security groups, never from the internet", () => {
    const [redisSgId] = ofType(dataJson, "AWS::EC2::SecurityGroup").find(([id]) => id.includes("RedisSecurityGroup"))!;
    const rules = [...ingressRules(dataJson), ...ingressRules(serviceJson)];
    for (const { rule } of rules) if (coversPort(rule, 6379)) expect(fromInternet(rule), JSON.stringify(rule)).toBe(false);
    const toRedis = rules.filter(({ group }) => JSON.stringify(group).includes(redisSgId));
    expect(toRedis.length).toBe(3);
    for (const { rule } of toRedis) {
      expect(rule).toMatchObject({ IpProtocol: "tcp", FromPort: 6379, ToPort: 6379 });
      expect(rule.SourceSecurityGroupId).toBeDefined();
      expect(rule.CidrIp).toBeUndefined();
    }
  });
});

describe("SSM parameters for serverless.yml", () => {
  it("writes every parameter serverless.yml reads, under its names and with list types for its List parameters", () => {
    const wanted = serverlessSsmParameters(root, "prod");
    expect(Object.keys(wanted).sort()).toEqual([
      "LambdaSecurityGroupIds",
      "MskClusterArn",
      "PrivateSubnetIds",
      "RedisAuthSecretArn",
      "RedisClusterNodes",
    ]);
    const written = new Map(ofType(dataJson, "AWS::SSM::Parameter").map(([, r]) => [r.Properties.Name, r.Properties]));
    for (const { name, type } of Object.values(wanted)) {
      const parameter = written.get(name);
      expect(parameter, `${name} is not written`).toBeDefined();
      expect(parameter.Type).toBe(type.includes("List<") ? "StringList" : "String");
    }
    const [groupId, group] = only(dataJson, "AWS::ElastiCache::ReplicationGroup");
    expect(written.get("/sales-counter/prod/redis-cluster-nodes").Value).toEqual({
      "Fn::Join": [
        "",
        [{ "Fn::GetAtt": [groupId, "ConfigurationEndPoint.Address"] }, ":", { "Fn::GetAtt": [groupId, "ConfigurationEndPoint.Port"] }],
      ],
    });
    const [mskId] = only(dataJson, "AWS::MSK::Cluster");
    expect(written.get("/sales-counter/prod/msk-cluster-arn").Value).toEqual({ "Fn::GetAtt": [mskId, "Arn"] });
    // The Lambda functions read the AUTH token from the same secret ElastiCache takes it from (Ref of a secret is its
    // full ARN), encrypted with the AWS managed key: their roles get GetSecretValue on it and no kms:Decrypt.
    const [secretId, secret] = ofType(dataJson, "AWS::SecretsManager::Secret").find(([id]) => id.includes("AuthToken"))!;
    expect(written.get("/sales-counter/prod/redis-auth-secret-arn").Value).toEqual({ Ref: secretId });
    expect(JSON.stringify(group.Properties.AuthToken)).toContain(secretId);
    expect(secret.Properties.KmsKeyId).toBeUndefined();
  });
});

describe("ECS services", () => {
  const services = () =>
    new Map(ofType(serviceJson, "AWS::ECS::Service").map(([id, r]) => [id.includes("Aggregator") ? "aggregator" : "broadcaster", r]));

  it("runs two aggregators replaced one at a time and the configured broadcasters behind the target group", () => {
    expect(services().size).toBe(2);
    const aggregator = services().get("aggregator")!.Properties;
    expect(aggregator).toMatchObject({ LaunchType: "FARGATE", DesiredCount: 2 });
    expect(aggregator.DeploymentConfiguration).toMatchObject({ MinimumHealthyPercent: 50, MaximumPercent: 100 });
    const broadcaster = services().get("broadcaster")!.Properties;
    expect(broadcaster).toMatchObject({ LaunchType: "FARGATE", DesiredCount: 4 });
    expect(broadcaster.DeploymentConfiguration).toMatchObject({ MinimumHealthyPercent: 100, MaximumPercent: 200 });
    expect(broadcaster.LoadBalancers).toEqual([expect.objectContaining({ ContainerName: "broadcaster", ContainerPort: 8080 })]);
  });

  it("starts each component from the image with its command, Redis over TLS with the AUTH secret, logs and a stop timeout", () => {
    const containers = ofType(serviceJson, "AWS::ECS::TaskDefinition").flatMap(([, r]) => r.Properties.ContainerDefinitions);
    expect(containers.map((c) => c.Command).sort()).toEqual([["aggregator"], ["broadcaster"]]);
    for (const c of containers) {
      const env = Object.fromEntries(c.Environment.map((e: { Name: string; Value: unknown }) => [e.Name, e.Value]));
      expect(env).toMatchObject({ REDIS_TLS: "1", STAGE: "prod", METRICS_NAMESPACE: "SalesCounter" });
      expect(JSON.stringify(env.REDIS_CLUSTER_NODES)).toContain("ConfigurationEndPoint");
      expect(c.Secrets.map((s: { Name: string }) => s.Name)).toContain("REDIS_PASSWORD");
      expect(c.LogConfiguration.LogDriver).toBe("awslogs");
      expect(c.StopTimeout).toBe(30);
      expect(c.LinuxParameters.InitProcessEnabled).toBe(true);
      expect(c.HealthCheck.Command).toEqual(["CMD", "node", "dist/run.js", "healthcheck", c.Command[0]]);
      // SHARDS must be the same for every component: the tasks use what serverless.yml gives the Lambda functions.
      expect(env.SHARDS).toBe(/^ {4}shards: "(\d+)"$/m.exec(readFileSync(join(root, "serverless.yml"), "utf8"))?.[1]);
    }
  });

  it("scales broadcasters on CPU and on the connections per task they publish", () => {
    service.hasResourceProperties("AWS::ApplicationAutoScaling::ScalableTarget", {
      MinCapacity: 4,
      MaxCapacity: 40,
      ScalableDimension: "ecs:service:DesiredCount",
    });
    service.hasResourceProperties("AWS::ApplicationAutoScaling::ScalingPolicy", {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: { PredefinedMetricType: "ECSServiceAverageCPUUtilization" },
        TargetValue: 60,
      }),
    });
    const [, connections] = ofType(serviceJson, "AWS::ApplicationAutoScaling::ScalingPolicy").find(
      ([, r]) => r.Properties.TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification,
    )!;
    const spec = connections.Properties.TargetTrackingScalingPolicyConfiguration;
    expect(spec.TargetValue).toBe(10000);
    // The metric the broadcaster prints (EMF) is the one the policy tracks: same namespace, name and dimensions.
    const lines: string[] = [];
    startBroadcasterEmf(
      testConfig({ STAGE: "prod", METRICS_NAMESPACE: "SalesCounter", INGEST_SECRET: "a-test-secret-of-16+" }),
      { connections: () => 7, latest: () => undefined },
      (l) => lines.push(l),
    )?.stop();
    const doc = JSON.parse(lines[0]!);
    const metric = spec.CustomizedMetricSpecification;
    expect(doc._aws.CloudWatchMetrics[0].Namespace).toBe(metric.Namespace);
    expect(doc[metric.MetricName]).toBe(7);
    for (const d of metric.Dimensions) expect(doc[d.Name]).toBe(d.Value);
    expect(metric.Statistic).toBe("Average");
  });
});

describe("load balancer", () => {
  it("health-checks broadcasters on /readyz and drains them for 30 s", () => {
    service.hasResourceProperties("AWS::ElasticLoadBalancingV2::TargetGroup", {
      HealthCheckPath: "/readyz",
      Matcher: { HttpCode: "200" },
      Port: 8080,
      TargetType: "ip",
      TargetGroupAttributes: Match.arrayWith([{ Key: "deregistration_delay.timeout_seconds", Value: "30" }]),
    });
  });

  it("keeps idle viewer connections for 120 s and forwards only requests carrying CloudFront's secret header", () => {
    service.hasResourceProperties("AWS::ElasticLoadBalancingV2::LoadBalancer", {
      LoadBalancerAttributes: Match.arrayWith([{ Key: "idle_timeout.timeout_seconds", Value: "120" }]),
    });
    service.hasResourceProperties("AWS::ElasticLoadBalancingV2::Listener", {
      DefaultActions: [Match.objectLike({ Type: "fixed-response", FixedResponseConfig: Match.objectLike({ StatusCode: "403" }) })],
    });
    service.hasResourceProperties("AWS::ElasticLoadBalancingV2::ListenerRule", {
      Conditions: [Match.objectLike({ Field: "http-header", HttpHeaderConfig: Match.objectLike({ HttpHeaderName: "X-Origin-Verify" }) })],
      Actions: [Match.objectLike({ Type: "forward" })],
    });
    service.hasResourceProperties("AWS::ElasticLoadBalancingV2::ListenerRule", {
      Conditions: [{ Field: "path-pattern", PathPatternConfig: { Values: ["/metrics", "/metrics/*"] } }],
      Actions: [Match.objectLike({ Type: "fixed-response", FixedResponseConfig: Match.objectLike({ StatusCode: "404" }) })],
    });
  });
});

describe("CloudFront", () => {
  const config = () => only(serviceJson, "AWS::CloudFront::Distribution")[1].Properties.DistributionConfig;
  const behavior = (path: string) => config().CacheBehaviors.find((b: { PathPattern: string }) => b.PathPattern === path);
  const policy = (ref: { Ref: string }) => serviceJson.Resources[ref.Ref]!.Properties.CachePolicyConfig;
  // Managed policy ids (CloudFront Developer Guide, "Use managed cache policies" / "managed origin request policies").
  const cachingDisabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
  const allViewerExceptHost = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

  it("caches /v1/total for at most a second, following the broadcaster's max-age, keyed by campaign", () => {
    const total = policy(behavior("/v1/total").CachePolicyId);
    expect(total).toMatchObject({ MinTTL: 0, DefaultTTL: 1, MaxTTL: 1 });
    expect(total.ParametersInCacheKeyAndForwardedToOrigin.QueryStringsConfig).toEqual({
      QueryStringBehavior: "whitelist",
      QueryStrings: ["campaign"],
    });
    const paths = config().CacheBehaviors.map((b: { PathPattern: string }) => b.PathPattern);
    expect(paths.indexOf("/v1/total")).toBeLessThan(paths.indexOf("/v1/*"));
  });

  it("passes /v1/live (WebSocket) and /v1/stream (SSE) through uncached with the viewer's headers", () => {
    for (const path of ["/v1/live", "/v1/stream"])
      expect(behavior(path)).toMatchObject({ CachePolicyId: cachingDisabled, OriginRequestPolicyId: allViewerExceptHost, Compress: false });
  });

  it("caches the viewer page and /widget.js briefly and guards /dashboard and /metrics at the edge", () => {
    expect(policy(config().DefaultCacheBehavior.CachePolicyId)).toMatchObject({ MinTTL: 30, MaxTTL: 300 });
    expect(policy(behavior("/widget.js").CachePolicyId)).toMatchObject({ MinTTL: 30 });
    const [guardId] = only(serviceJson, "AWS::CloudFront::Function");
    const guard = [{ EventType: "viewer-request", FunctionARN: { "Fn::GetAtt": [guardId, "FunctionARN"] } }];
    expect(config().DefaultCacheBehavior.FunctionAssociations).toEqual(guard);
    expect(behavior("/dashboard*")).toMatchObject({ CachePolicyId: cachingDisabled, FunctionAssociations: guard });
    const [origin] = config().Origins;
    expect(origin.OriginCustomHeaders.map((h: { HeaderName: string }) => h.HeaderName)).toEqual(["X-Origin-Verify"]);
  });
});

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
        const [directive] = doc._aws.CloudWatchMetrics;
        const dimensions = directive.Dimensions[0].map((key: string) => ({ Name: key, Value: doc[key] }));
        const found = alarms().filter(
          (a) => a.Namespace === directive.Namespace && a.MetricName === metric && sameDimensions(a.Dimensions, dimensions),
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

type Dimension = { Name: string; Value: string };
/** CloudWatch matches a metric by its dimensions as a set: the order they are listed in does not matter. */
function sameDimensions(a: Dimension[], b: Dimension[]): boolean {
  const sorted = (d: Dimension[]) => JSON.stringify([...d].sort((x, y) => x.Name.localeCompare(y.Name)));
  return sorted(a) === sorted(b);
}
