// The CDK app's templates (synthesized once, offline) hold what a sale needs: Redis in cluster mode with replicas,
// failover, TLS and AUTH; two ECS services; the ALB for long-lived viewers; the SSM parameters serverless.yml reads; no
// Redis open to the internet. CloudFront is in test/infra-cdn, the alarms in test/infra-alarms.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Match, Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
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
