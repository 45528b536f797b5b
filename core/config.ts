// Environment configuration shared by every component: parsed once, all problems reported together, frozen.
import { z } from "zod";
import { campaignPattern, campaignRule } from "./campaign.js";
import { flag, labelList, lambdaFunctionName, metricsNamespace, optionalString, port, timeZone } from "./config-fields.js";
import { type RedisSettings, redisProblems, redisSchemaFields, redisSettingsOf } from "./config-redis.js";
import { CodedError } from "./errors.js";

export const configSchema = z
  .object({
    ...redisSchemaFields,
    CAMPAIGN: z.string().regex(campaignPattern, campaignRule).default("blackfriday"),
    CURRENCY: z
      .string()
      .regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as KRW")
      .default("KRW"),
    SHARDS: z.coerce.number().int().min(1).max(16384).default(64),
    FOLD_INTERVAL_MS: z.coerce.number().int().min(10).max(60000).default(100),
    HEARTBEAT_MS: z.coerce.number().int().min(100).max(60000).default(1000),
    // Renewed on its own timer (a third of the lease), not by the fold: a slow fold or a long FOLD_INTERVAL_MS
    // cannot lapse it; it bounds how long a dead leader's campaign goes without a publisher.
    LEASE_MS: z.coerce.number().int().min(500).max(60000).default(2000),
    MAX_CHANNELS: z.coerce.number().int().min(1).max(1000).default(100),
    MAX_CATEGORIES: z.coerce.number().int().min(1).max(1000).default(100),
    DEDUPE_TTL_SECONDS: z.coerce
      .number()
      .int()
      .min(60)
      .default(60 * 60 * 24 * 30),
    INGEST_PORT: port(3000),
    LAMBDA_PORT: port(3002),
    BROADCASTER_PORT: port(8080),
    AGGREGATOR_PORT: optionalString.pipe(
      z
        .string()
        .regex(/^\d{1,5}$/, "must be a port number")
        .transform(Number)
        .pipe(z.number().int().min(1).max(65535))
        .optional(),
    ),
    METRICS_NAMESPACE: metricsNamespace,
    METRICS_INTERVAL_MS: z.coerce.number().int().min(1000).max(60000).default(10000),
    HOST: z.string().min(1).default("0.0.0.0"),
    INGEST_SECRET: optionalString.pipe(z.string().min(16, "must be at least 16 characters").optional()),
    // The longest one ingest call (a Lambda invocation, a request to the local gateway) waits for Redis before it
    // reports a passing failure; it must stay well below the Lambda function timeout (serverless.yml).
    INGEST_DEADLINE_MS: z.coerce.number().int().min(100).max(60000).default(3000),
    DASHBOARD_TOKEN: optionalString,
    STAGE: z
      .string()
      .regex(/^[a-z0-9-]{1,32}$/, "must be 1-32 chars of [a-z0-9-]")
      .default("dev"),
    DEMO: flag(true),
    DEMO_RATE: z.coerce.number().min(0).max(100000).default(50),
    DATA_DIR: z.string().min(1).default(".data"),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    MAX_CONNECTIONS: z.coerce.number().int().min(1).default(200000),
    GOAL: optionalString.pipe(
      z
        .string()
        .regex(/^[1-9]\d{0,19}$/, "must be a positive integer amount in minor units")
        .optional(),
    ),
    MILESTONE_STEP: z
      .string()
      .regex(/^\d{1,20}$/, "must be an integer amount in minor units (0 turns milestones off)")
      .default("10000000000"),
    PREVIOUS_CAMPAIGN: optionalString.pipe(z.string().regex(campaignPattern, campaignRule).optional()),
    MILESTONE_WEBHOOK_URL: optionalString.pipe(z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }).optional()),
    MILESTONE_FUNCTION: optionalString.pipe(
      z.string().regex(lambdaFunctionName, "must be a Lambda function name, partial ARN or ARN, optionally with a qualifier").optional(),
    ),
    MILESTONE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60000).default(5000),
    MILESTONE_RETRY_BASE_MS: z.coerce.number().int().min(10).max(600000).default(1000),
    MILESTONE_RETRY_MAX_MS: z.coerce.number().int().min(10).max(3600000).default(60000),
    CAMPAIGN_START: optionalString.pipe(z.iso.datetime({ offset: true, error: "must be an ISO-8601 timestamp" }).optional()),
    CAMPAIGN_END: optionalString.pipe(z.iso.datetime({ offset: true, error: "must be an ISO-8601 timestamp" }).optional()),
    TIMEZONE: timeZone.default("Asia/Seoul"),
    CHANNEL_LABELS: labelList,
    CATEGORY_LABELS: labelList,
    CAMPAIGN_AUTOSTART: flag(false),
    STATE_LOSS_ALERT_AFTER_MS: z.coerce.number().int().min(1000).max(86_400_000).default(60_000),
  })
  .superRefine((cfg, ctx) => {
    for (const [name, message] of redisProblems(cfg)) ctx.addIssue({ code: "custom", path: [name], message });
    if (
      cfg.CAMPAIGN_START !== undefined &&
      cfg.CAMPAIGN_END !== undefined &&
      Date.parse(cfg.CAMPAIGN_END) <= Date.parse(cfg.CAMPAIGN_START)
    ) {
      ctx.addIssue({ code: "custom", path: ["CAMPAIGN_END"], message: "must be after CAMPAIGN_START" });
    }
    if (cfg.MILESTONE_RETRY_MAX_MS < cfg.MILESTONE_RETRY_BASE_MS) {
      ctx.addIssue({ code: "custom", path: ["MILESTONE_RETRY_MAX_MS"], message: "must be at least MILESTONE_RETRY_BASE_MS" });
    }
  });

type Raw = z.output<typeof configSchema>;

export interface Config extends Required<RedisSettings> {
  readonly campaign: string;
  readonly currency: string;
  readonly shards: number;
  readonly foldIntervalMs: number;
  readonly heartbeatMs: number;
  /** The aggregator lease; renewed every third of it. */
  readonly leaseMs: number;
  /** Distinct channel names counted under their own name; the rest count in "(other)". */
  readonly maxChannels: number;
  /** Distinct category names counted under their own name; the rest count in "(other)". */
  readonly maxCategories: number;
  readonly dedupeTtlSeconds: number;
  readonly ingestPort: number;
  readonly lambdaPort: number;
  readonly broadcasterPort: number;
  /** Port of the aggregator's /healthz and /metrics; undefined: the aggregator listens on nothing. */
  readonly aggregatorPort: number | undefined;
  /** CloudWatch namespace of the EMF metric lines the long-running components print; undefined: none are printed. */
  readonly metricsNamespace: string | undefined;
  readonly metricsIntervalMs: number;
  readonly host: string;
  readonly ingestSecret: string | undefined;
  /** The longest one ingest call waits for Redis before it reports a passing failure (503, batch item failure, error). */
  readonly ingestDeadlineMs: number;
  readonly dashboardToken: string | undefined;
  readonly stage: string;
  readonly demo: boolean;
  readonly demoRatePerSecond: number;
  /** Where `npm start` keeps the embedded Redis data. */
  readonly dataDir: string;
  readonly logLevel: Raw["LOG_LEVEL"];
  readonly maxConnections: number;
  /** Dashboard goal in minor units. */
  readonly goal: bigint | undefined;
  /** A milestone every this many minor units; undefined when MILESTONE_STEP=0. */
  readonly milestoneStep: bigint | undefined;
  /** Campaign whose curve the dashboard overlays at the same elapsed time. */
  readonly previousCampaign: string | undefined;
  /** Receives a POST with each milestone reached (delivered from the outbox, at least once). */
  readonly milestoneWebhookUrl: string | undefined;
  /** Lambda function (name or ARN) invoked with InvocationType Event for each milestone reached. */
  readonly milestoneFunction: string | undefined;
  /** One delivery attempt's time limit, and the backoff between attempts (doubling from base up to max). */
  readonly milestoneTimeoutMs: number;
  readonly milestoneRetryBaseMs: number;
  readonly milestoneRetryMaxMs: number;
  /** Start of the campaign (elapsed time on the dashboard); the first history point when unset. */
  readonly campaignStart: string | undefined;
  /** Deadline of the campaign: the dashboard shows the pace needed to reach the goal by then. */
  readonly campaignEnd: string | undefined;
  /** IANA zone of the dashboard's clocks and axes (Asia/Seoul by default). */
  readonly timeZone: string;
  /** Display names of channel ids on the dashboard. */
  readonly channelLabels: Readonly<Record<string, string>>;
  /** Display names of category ids on the dashboard. */
  readonly categoryLabels: Readonly<Record<string, string>>;
  /**
   * Development stacks and tests: an aggregator that finds the campaign never started (no epoch, no published mark)
   * starts it. Off in production, where only `reconcile --start-campaign` or `--rebuild` creates an epoch: after Redis
   * lost everything, an empty campaign looks exactly like a new one.
   */
  readonly campaignAutostart: boolean;
  /** Counters below the published mark for this long: alert (metric, log) and tell the operator to reconcile. */
  readonly stateLossAlertAfterMs: number;
}

export class ConfigError extends CodedError {
  constructor(readonly problems: string[]) {
    super("CONFIG_INVALID", `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

function problemsOf(issues: readonly z.core.$ZodIssue[], env: NodeJS.ProcessEnv): string[] {
  return issues.map((issue) => {
    const name = issue.path.join(".") || "environment";
    const value = typeof issue.path[0] === "string" ? env[issue.path[0]] : undefined;
    return `${name}${value === undefined ? "" : `=${JSON.stringify(value)}`}: ${issue.message}`;
  });
}

/** Parses configuration from an environment; throws ConfigError listing every problem. */
export function parseConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = configSchema.safeParse(env);
  if (!result.success) throw new ConfigError(problemsOf(result.error.issues, env));
  const c = result.data;
  return Object.freeze({
    ...(redisSettingsOf(c) as Required<RedisSettings>),
    campaign: c.CAMPAIGN,
    currency: c.CURRENCY,
    shards: c.SHARDS,
    foldIntervalMs: c.FOLD_INTERVAL_MS,
    heartbeatMs: c.HEARTBEAT_MS,
    leaseMs: c.LEASE_MS,
    maxChannels: c.MAX_CHANNELS,
    maxCategories: c.MAX_CATEGORIES,
    dedupeTtlSeconds: c.DEDUPE_TTL_SECONDS,
    ingestPort: c.INGEST_PORT,
    lambdaPort: c.LAMBDA_PORT,
    broadcasterPort: c.BROADCASTER_PORT,
    aggregatorPort: c.AGGREGATOR_PORT,
    metricsNamespace: c.METRICS_NAMESPACE,
    metricsIntervalMs: c.METRICS_INTERVAL_MS,
    host: c.HOST,
    ingestSecret: c.INGEST_SECRET,
    ingestDeadlineMs: c.INGEST_DEADLINE_MS,
    dashboardToken: c.DASHBOARD_TOKEN,
    stage: c.STAGE,
    demo: c.DEMO,
    demoRatePerSecond: c.DEMO_RATE,
    dataDir: c.DATA_DIR,
    logLevel: c.LOG_LEVEL,
    maxConnections: c.MAX_CONNECTIONS,
    goal: c.GOAL === undefined ? undefined : BigInt(c.GOAL),
    milestoneStep: BigInt(c.MILESTONE_STEP) === 0n ? undefined : BigInt(c.MILESTONE_STEP),
    previousCampaign: c.PREVIOUS_CAMPAIGN,
    campaignStart: c.CAMPAIGN_START,
    campaignEnd: c.CAMPAIGN_END,
    timeZone: c.TIMEZONE,
    channelLabels: c.CHANNEL_LABELS,
    categoryLabels: c.CATEGORY_LABELS,
    milestoneWebhookUrl: c.MILESTONE_WEBHOOK_URL,
    campaignAutostart: c.CAMPAIGN_AUTOSTART,
    stateLossAlertAfterMs: c.STATE_LOSS_ALERT_AFTER_MS,
    milestoneFunction: c.MILESTONE_FUNCTION,
    milestoneTimeoutMs: c.MILESTONE_TIMEOUT_MS,
    milestoneRetryBaseMs: c.MILESTONE_RETRY_BASE_MS,
    milestoneRetryMaxMs: c.MILESTONE_RETRY_MAX_MS,
  });
}

/**
 * METRICS_NAMESPACE alone (the same rule as in parseConfig): for choosing the metrics backend when a Lambda module
 * loads, before the rest of the configuration (and the secret it may still have to fetch) is read.
 */
export function parseMetricsNamespace(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const result = z.object({ METRICS_NAMESPACE: metricsNamespace }).safeParse(env);
  if (!result.success) throw new ConfigError(problemsOf(result.error.issues, env));
  return result.data.METRICS_NAMESPACE;
}

/**
 * INGEST_SECRET signs POST /v1/payments, so only the HTTP entry points (the ingestHttp function, the local gateway)
 * need it, and under STAGE=prod they refuse to run without it. The queue, stream and direct-invocation functions, the
 * aggregator and the broadcaster never read it.
 */
export function requireIngestSecret(config: Config): void {
  if (config.stage === "prod" && config.ingestSecret === undefined)
    throw new ConfigError([
      "INGEST_SECRET: is required when STAGE=prod (POST /v1/payments verifies x-signature with it; on Lambda it is read from INGEST_SECRET_SSM_PARAMETER)",
    ]);
}

/** For process entry points: parse (and run the entry point's own check) or print every problem and exit(78, EX_CONFIG). */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env, check: (config: Config) => void = () => undefined): Config {
  try {
    const config = parseConfig(env);
    check(config);
    return config;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
}
