// ECS on Fargate: the aggregator service (two tasks: one leads, one stands by) and the broadcaster service (scaled on CPU
// and on viewer connections per task), both from the one image, logs to CloudWatch, stop timeouts above the shutdown.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  aws_cloudwatch as cloudwatch,
  Duration,
  aws_ec2 as ec2,
  aws_ecr_assets as ecrAssets,
  aws_ecs as ecs,
  aws_iam as iam,
  aws_logs as logs,
  RemovalPolicy,
  Size,
  aws_secretsmanager as secretsmanager,
} from "aws-cdk-lib";
import { Construct } from "constructs";
import { allowRedisFrom, type Network } from "./network.js";
import type { Parameters } from "./parameters.js";

const repoRoot = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..");
export const metricsNamespace = "SalesCounter";
export const broadcasterPort = 8080;
export const aggregatorHealthPort = 8081;
/**
 * SIGTERM to exit: an aggregator releases its lease (at most 1 s) and quits Redis (at most 1 s); a broadcaster closes
 * its sockets at once. 30 s leaves a wide margin and is still far below Fargate's 120 s ceiling.
 */
export const stopTimeout = Duration.seconds(30);

export interface RedisConnection {
  readonly clusterNodes: string;
  readonly authToken: secretsmanager.ISecret;
}

export class Services extends Construct {
  readonly cluster: ecs.Cluster;
  readonly aggregator: ecs.FargateService;
  readonly broadcaster: ecs.FargateService;
  readonly connectionsMetric: cloudwatch.Metric;
  readonly aggregatorSecurityGroup: ec2.SecurityGroup;
  /** The load balancer adds its ingress rule when the service is attached to its target group. */
  readonly broadcasterSecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, network: Network, redis: RedisConnection, p: Parameters) {
    super(scope, id);
    this.cluster = new ecs.Cluster(this, "Cluster", {
      vpc: network.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    this.aggregatorSecurityGroup = new ec2.SecurityGroup(this, "AggregatorSecurityGroup", {
      vpc: network.vpc,
      description: "Aggregator tasks: no inbound",
      allowAllOutbound: true,
    });
    this.broadcasterSecurityGroup = new ec2.SecurityGroup(this, "BroadcasterSecurityGroup", {
      vpc: network.vpc,
      description: "Broadcaster tasks: HTTP from the load balancer",
      allowAllOutbound: true,
    });
    allowRedisFrom(this, "RedisFromAggregators", network, this.aggregatorSecurityGroup, "aggregators");
    allowRedisFrom(this, "RedisFromBroadcasters", network, this.broadcasterSecurityGroup, "broadcasters");
    const cpuArchitecture = p.arm64 ? ecs.CpuArchitecture.ARM64 : ecs.CpuArchitecture.X86_64;
    const image =
      p.imageUri !== undefined
        ? ecs.ContainerImage.fromRegistry(p.imageUri)
        : ecs.ContainerImage.fromAsset(repoRoot, {
            // The repository's Dockerfile; .dockerignore keeps the context to the files it copies.
            platform: p.arm64 ? ecrAssets.Platform.LINUX_ARM64 : ecrAssets.Platform.LINUX_AMD64,
            buildArgs: { NODE_VERSION: p.nodeVersion },
          });
    const dashboardToken = new secretsmanager.Secret(this, "DashboardToken", {
      description: `sales-counter ${p.stage}: DASHBOARD_TOKEN`,
      generateSecretString: { passwordLength: 40, excludePunctuation: true },
    });

    // The same settings as every other component (README, Configuration); Redis over TLS with the AUTH token.
    const environment: Record<string, string> = {
      STAGE: p.stage,
      CAMPAIGN: p.campaign,
      CURRENCY: p.currency,
      SHARDS: String(p.counterShards),
      REDIS_CLUSTER_NODES: redis.clusterNodes,
      REDIS_TLS: "1",
      METRICS_NAMESPACE: metricsNamespace,
      LOG_LEVEL: "info",
    };
    const secrets = { REDIS_PASSWORD: ecs.Secret.fromSecretsManager(redis.authToken) };

    const taskDefinition = (name: string, cpu: number, memoryLimitMiB: number) => {
      const task = new ecs.FargateTaskDefinition(this, `${name}Task`, {
        cpu,
        memoryLimitMiB,
        runtimePlatform: { cpuArchitecture, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
      });
      // A pushed image (ECR) is pulled with the execution role; an asset image gets its grant from CDK.
      if (p.imageUri !== undefined)
        task
          .obtainExecutionRole()
          .addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName("service-role/AmazonECSTaskExecutionRolePolicy"));
      return task;
    };
    const logGroup = (name: string) =>
      new logs.LogGroup(this, `${name}Logs`, { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.RETAIN });
    const container = (task: ecs.FargateTaskDefinition, name: string, extraEnv: Record<string, string>, extraSecrets = {}) =>
      task.addContainer(name, {
        image,
        command: [name],
        environment: { ...environment, ...extraEnv },
        secrets: { ...secrets, ...extraSecrets },
        // The EMF lines of core/emf-metrics.ts become CloudWatch metrics from this log group. Non-blocking: a slow log
        // service must never stall the event loop that sends the number to viewers.
        logging: ecs.LogDrivers.awsLogs({
          streamPrefix: name,
          logGroup: logGroup(name),
          mode: ecs.AwsLogDriverMode.NON_BLOCKING,
          maxBufferSize: Size.mebibytes(25),
        }),
        healthCheck: {
          command: ["CMD", "node", "dist/run.js", "healthcheck", name],
          interval: Duration.seconds(10),
          timeout: Duration.seconds(3),
          retries: 3,
          startPeriod: Duration.seconds(20),
        },
        // An init process as PID 1 forwards SIGTERM to node, also before the component installed its handlers.
        linuxParameters: new ecs.LinuxParameters(this, `${name}Linux`, { initProcessEnabled: true }),
        stopTimeout,
        readonlyRootFilesystem: true,
      });

    const aggregatorTask = taskDefinition("Aggregator", p.aggregatorCpu, p.aggregatorMemoryMiB);
    container(aggregatorTask, "aggregator", { AGGREGATOR_PORT: String(aggregatorHealthPort) });
    this.aggregator = new ecs.FargateService(this, "AggregatorService", {
      cluster: this.cluster,
      taskDefinition: aggregatorTask,
      // One leads through the Redis lease, the other stands by and takes over at its next tick.
      desiredCount: 2,
      // Deploys replace one task at a time: a leader is always running or about to take over.
      minHealthyPercent: 50,
      maxHealthyPercent: 100,
      circuitBreaker: { rollback: true },
      vpcSubnets: network.privateSubnets,
      securityGroups: [this.aggregatorSecurityGroup],
      assignPublicIp: false,
    });

    const broadcasterTask = taskDefinition("Broadcaster", p.broadcasterCpu, p.broadcasterMemoryMiB);
    const broadcasterContainer = container(
      broadcasterTask,
      "broadcaster",
      // Room above the scaling target for a reconnect wave while new tasks start.
      { BROADCASTER_PORT: String(broadcasterPort), MAX_CONNECTIONS: String(p.broadcasterConnectionsPerTask * 2) },
      { DASHBOARD_TOKEN: ecs.Secret.fromSecretsManager(dashboardToken) },
    );
    broadcasterContainer.addPortMappings({ containerPort: broadcasterPort, protocol: ecs.Protocol.TCP });
    // Viewers hold one socket each: raise the open-files limit over Fargate's default.
    broadcasterContainer.addUlimits({ name: ecs.UlimitName.NOFILE, softLimit: 1_048_576, hardLimit: 1_048_576 });
    this.broadcaster = new ecs.FargateService(this, "BroadcasterService", {
      cluster: this.cluster,
      taskDefinition: broadcasterTask,
      desiredCount: p.broadcasterMinTasks,
      // Rolling: new tasks pass /readyz before old ones drain, so capacity never drops during a deploy.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { rollback: true },
      healthCheckGracePeriod: Duration.seconds(30),
      vpcSubnets: network.privateSubnets,
      securityGroups: [this.broadcasterSecurityGroup],
      assignPublicIp: false,
    });

    // Published by each broadcaster (broadcaster/cloudwatch-metrics.ts); the average over the tasks is the load per task.
    this.connectionsMetric = new cloudwatch.Metric({
      namespace: metricsNamespace,
      metricName: "Connections",
      dimensionsMap: { Stage: p.stage, Service: "broadcaster" },
      statistic: cloudwatch.Stats.AVERAGE,
      period: Duration.minutes(1),
    });
    const scaling = this.broadcaster.autoScaleTaskCount({ minCapacity: p.broadcasterMinTasks, maxCapacity: p.broadcasterMaxTasks });
    scaling.scaleOnCpuUtilization("Cpu", {
      targetUtilizationPercent: p.broadcasterCpuTargetPercent,
      scaleOutCooldown: Duration.seconds(60),
      scaleInCooldown: Duration.minutes(10),
    });
    scaling.scaleToTrackCustomMetric("Connections", {
      metric: this.connectionsMetric,
      targetValue: p.broadcasterConnectionsPerTask,
      scaleOutCooldown: Duration.seconds(60),
      // Scaling in closes viewers' sockets (they reconnect elsewhere): slowly.
      scaleInCooldown: Duration.minutes(10),
    });
  }
}
