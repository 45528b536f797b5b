// Deployment parameters of the CDK app: sizes, counts and ids, read from CDK context (`-c key=value`) with defaults,
// checked once with every problem named. docs/deploy.md explains each and how to size it.
import { campaignPattern, campaignRule } from "../../core/campaign.js";

export interface Parameters {
  readonly stage: string;
  readonly account: string | undefined;
  readonly region: string;
  /** An existing VPC (no lookup: its AZs and subnet ids are given too), or undefined for a new one. */
  readonly existingVpc: { vpcId: string; availabilityZones: string[]; privateSubnetIds: string[]; publicSubnetIds: string[] } | undefined;
  readonly vpcCidr: string;
  readonly azCount: number;
  readonly natGateways: number;
  readonly redisNodeType: string;
  readonly redisShards: number;
  readonly redisReplicasPerShard: number;
  readonly redisEngineVersion: string;
  /** A pushed image (e.g. an ECR URI with a tag); undefined: `cdk deploy` builds the Dockerfile as an asset. */
  readonly imageUri: string | undefined;
  readonly nodeVersion: string;
  readonly arm64: boolean;
  readonly aggregatorCpu: number;
  readonly aggregatorMemoryMiB: number;
  readonly broadcasterCpu: number;
  readonly broadcasterMemoryMiB: number;
  readonly broadcasterMinTasks: number;
  readonly broadcasterMaxTasks: number;
  readonly broadcasterConnectionsPerTask: number;
  readonly broadcasterCpuTargetPercent: number;
  readonly campaign: string;
  readonly currency: string;
  /** Counter shards (SHARDS): the same for every component and the Lambda stack. */
  readonly counterShards: number;
  readonly mskClusterArn: string | undefined;
  readonly mskBrokerInstanceType: string;
  readonly mskKafkaVersion: string;
  /** HTTPS between CloudFront and the ALB: a certificate on the ALB and the DNS name it is valid for. */
  readonly albCertificateArn: string | undefined;
  readonly albOriginDomain: string | undefined;
  /** The region's com.amazonaws.global.cloudfront.origin-facing prefix list (pl-...), to admit only CloudFront. */
  readonly cloudFrontPrefixListId: string | undefined;
  /** Viewer IPv4 ranges allowed to reach /dashboard through CloudFront; empty: nobody from the internet. */
  readonly dashboardAllowedCidrs: string[];
  readonly alarmEmail: string | undefined;
}

export const defaults = {
  stage: "dev",
  region: "ap-northeast-2",
  vpcCidr: "10.40.0.0/16",
  azCount: 2,
  redisNodeType: "cache.r7g.large",
  redisShards: 2,
  redisReplicasPerShard: 1,
  redisEngineVersion: "7.1",
  nodeVersion: "22",
  aggregatorCpu: 512,
  aggregatorMemoryMiB: 1024,
  broadcasterCpu: 1024,
  broadcasterMemoryMiB: 2048,
  broadcasterMinTasks: 2,
  broadcasterMaxTasks: 40,
  broadcasterConnectionsPerTask: 10000,
  broadcasterCpuTargetPercent: 60,
  campaign: "blackfriday",
  currency: "KRW",
  counterShards: 64,
  mskBrokerInstanceType: "kafka.m7g.large",
  mskKafkaVersion: "3.6.0",
} as const;

export class ParameterError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid CDK parameters:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ParameterError";
  }
}

type Context = (key: string) => unknown;

/** Reads the parameters from CDK context; throws ParameterError listing every problem. */
export function readParameters(context: Context, env: NodeJS.ProcessEnv = process.env): Parameters {
  const problems: string[] = [];
  const text = (key: string): string | undefined => {
    const value = context(key);
    if (value === undefined || value === null || String(value).trim() === "") return undefined;
    return String(value).trim();
  };
  const matching = (key: string, pattern: RegExp, rule: string, fallback?: string): string => {
    const value = text(key) ?? fallback;
    if (value === undefined || !pattern.test(value)) {
      problems.push(`${key}${value === undefined ? "" : `=${JSON.stringify(value)}`}: ${value === undefined ? "is required" : rule}`);
      return fallback ?? "";
    }
    return value;
  };
  const optional = (key: string, pattern: RegExp, rule: string): string | undefined =>
    text(key) === undefined ? undefined : matching(key, pattern, rule);
  const int = (key: string, fallback: number, min: number, max: number): number => {
    const value = text(key);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${key}=${JSON.stringify(value)}: must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return n;
  };
  const list = (key: string): string[] =>
    (text(key) ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);

  const vpcId = optional("vpcId", /^vpc-[0-9a-f]{8,17}$/, "must be a VPC id (vpc-...)");
  let existingVpc: Parameters["existingVpc"];
  if (vpcId !== undefined) {
    existingVpc = {
      vpcId,
      availabilityZones: list("vpcAvailabilityZones"),
      privateSubnetIds: list("privateSubnetIds"),
      publicSubnetIds: list("publicSubnetIds"),
    };
    const { availabilityZones, privateSubnetIds, publicSubnetIds } = existingVpc;
    if (availabilityZones.length < 2) problems.push("vpcAvailabilityZones: list at least two zones of the existing VPC (Multi-AZ Redis)");
    for (const [key, ids] of [
      ["privateSubnetIds", privateSubnetIds],
      ["publicSubnetIds", publicSubnetIds],
    ] as const) {
      if (ids.length === 0 || ids.length !== availabilityZones.length || !ids.every((id) => /^subnet-[0-9a-f]{8,17}$/.test(id)))
        problems.push(`${key}: one subnet id (subnet-...) per zone of vpcAvailabilityZones, in the same order`);
    }
  }

  const azCount = int("azCount", defaults.azCount, 2, 6);
  const redisReplicasPerShard = int("redisReplicasPerShard", defaults.redisReplicasPerShard, 1, 5);
  const broadcasterMinTasks = int("broadcasterMinTasks", defaults.broadcasterMinTasks, 1, 1000);
  const broadcasterMaxTasks = int("broadcasterMaxTasks", defaults.broadcasterMaxTasks, 1, 1000);
  if (broadcasterMaxTasks < broadcasterMinTasks) problems.push("broadcasterMaxTasks: must be at least broadcasterMinTasks");
  const albCertificateArn = optional("albCertificateArn", /^arn:aws[a-z-]*:acm:/, "must be an ACM certificate ARN");
  const albOriginDomain = optional("albOriginDomain", /^[a-z0-9.-]+\.[a-z]{2,}$/, "must be a DNS name");
  if ((albCertificateArn === undefined) !== (albOriginDomain === undefined))
    problems.push("albCertificateArn and albOriginDomain: give both (HTTPS to the ALB) or neither");
  const dashboardAllowedCidrs = list("dashboardAllowedCidrs");
  for (const cidr of dashboardAllowedCidrs)
    if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(cidr)) problems.push(`dashboardAllowedCidrs: "${cidr}" must be an IPv4 CIDR`);
  // The dashboard token travels in a cookie or header: only over HTTPS all the way to the ALB.
  if (dashboardAllowedCidrs.length > 0 && albCertificateArn === undefined)
    problems.push(
      "dashboardAllowedCidrs: needs albCertificateArn/albOriginDomain, so the dashboard token never crosses the internet in clear",
    );

  const parameters: Parameters = {
    stage: matching("stage", /^[a-z0-9-]{1,32}$/, "must be 1-32 chars of [a-z0-9-]", defaults.stage),
    account: optional("account", /^\d{12}$/, "must be a 12-digit account id") ?? env.CDK_DEFAULT_ACCOUNT,
    region: matching(
      "region",
      /^[a-z]{2}(-[a-z]+)+-\d$/,
      "must be a region such as ap-northeast-2",
      env.CDK_DEFAULT_REGION ?? defaults.region,
    ),
    existingVpc,
    vpcCidr: matching("vpcCidr", /^\d{1,3}(\.\d{1,3}){3}\/(1[6-9]|2[0-4])$/, "must be an IPv4 CIDR from /16 to /24", defaults.vpcCidr),
    azCount,
    natGateways: int("natGateways", azCount, 1, 6),
    redisNodeType: matching("redisNodeType", /^cache\.[a-z0-9]+\.[a-z0-9]+$/, "must be an ElastiCache node type", defaults.redisNodeType),
    redisShards: int("redisShards", defaults.redisShards, 1, 500),
    redisReplicasPerShard,
    redisEngineVersion: matching(
      "redisEngineVersion",
      /^[67]\.\d+$/,
      "must be a Redis OSS engine version such as 7.1",
      defaults.redisEngineVersion,
    ),
    imageUri: optional(
      "imageUri",
      /^[\w.-]+(:\d+)?\/[\w./-]+(:[\w.-]+|@sha256:[0-9a-f]{64})$/,
      "must be an image reference with a tag or digest",
    ),
    nodeVersion: matching("nodeVersion", /^(20|22|24)$/, "must be 20, 22 or 24", defaults.nodeVersion),
    arm64: text("arm64") === "true",
    aggregatorCpu: int("aggregatorCpu", defaults.aggregatorCpu, 256, 16384),
    aggregatorMemoryMiB: int("aggregatorMemoryMiB", defaults.aggregatorMemoryMiB, 512, 122880),
    broadcasterCpu: int("broadcasterCpu", defaults.broadcasterCpu, 256, 16384),
    broadcasterMemoryMiB: int("broadcasterMemoryMiB", defaults.broadcasterMemoryMiB, 512, 122880),
    broadcasterMinTasks,
    broadcasterMaxTasks,
    broadcasterConnectionsPerTask: int("broadcasterConnectionsPerTask", defaults.broadcasterConnectionsPerTask, 100, 1_000_000),
    broadcasterCpuTargetPercent: int("broadcasterCpuTargetPercent", defaults.broadcasterCpuTargetPercent, 10, 90),
    campaign: matching("campaign", campaignPattern, campaignRule, defaults.campaign),
    currency: matching("currency", /^[A-Z]{3}$/, "must be an ISO 4217 code", defaults.currency),
    counterShards: int("counterShards", defaults.counterShards, 1, 16384),
    mskClusterArn: optional("mskClusterArn", /^arn:aws[a-z-]*:kafka:/, "must be an MSK cluster ARN"),
    mskBrokerInstanceType: matching(
      "mskBrokerInstanceType",
      /^kafka\.[a-z0-9]+\.[a-z0-9]+$/,
      "must be an MSK broker type",
      defaults.mskBrokerInstanceType,
    ),
    mskKafkaVersion: matching(
      "mskKafkaVersion",
      /^\d+\.\d+\.\d+(\.x)?$/,
      "must be a Kafka version such as 3.6.0",
      defaults.mskKafkaVersion,
    ),
    albCertificateArn,
    albOriginDomain,
    cloudFrontPrefixListId: optional("cloudFrontPrefixListId", /^pl-[0-9a-f]{8,17}$/, "must be a prefix list id (pl-...)"),
    dashboardAllowedCidrs,
    alarmEmail: optional("alarmEmail", /^[^@\s]+@[^@\s]+\.[^@\s]+$/, "must be an e-mail address"),
  };
  if (problems.length > 0) throw new ParameterError(problems);
  return parameters;
}
