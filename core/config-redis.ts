// The Redis part of the configuration: topology (standalone URL, Cluster nodes, or Sentinels), credentials and TLS.
import { readFileSync } from "node:fs";
import { z } from "zod";

const flag = (fallback: boolean | undefined) =>
  z
    .enum(["1", "0", "true", "false", "yes", "no", "on", "off"])
    .optional()
    .transform((v) => (v === undefined ? fallback : ["1", "true", "yes", "on"].includes(v)));
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v));

const hostPort = /^[^\s:,]+:\d{1,5}$/;

/** `host:port,host:port` into a list; an entry that is not host:port is reported by name. */
const nodeList = optionalString.transform((v, ctx) => {
  if (v === undefined) return undefined;
  const nodes = v.split(",").map((s) => s.trim());
  for (const node of nodes) {
    if (!hostPort.test(node)) {
      ctx.addIssue({ code: "custom", message: `"${node}" must be host:port` });
      return z.NEVER;
    }
  }
  return nodes.map((node) => {
    const [host, portText] = node.split(":") as [string, string];
    return { host, port: Number(portText) };
  });
});

/** A PEM file read at start, so a wrong path is a configuration error and not a TLS failure later. */
const pemFile = optionalString.transform((path, ctx) => {
  if (path === undefined) return undefined;
  try {
    const text = readFileSync(path, "utf8");
    if (!text.includes("-----BEGIN ")) {
      ctx.addIssue({ code: "custom", message: "is not a PEM file (no -----BEGIN line)" });
      return z.NEVER;
    }
    return text;
  } catch (err) {
    ctx.addIssue({ code: "custom", message: `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` });
    return z.NEVER;
  }
});

export const redisSchemaFields = {
  REDIS_URL: optionalString.pipe(z.url({ protocol: /^rediss?$/, error: "must be a redis:// or rediss:// URL" }).optional()),
  REDIS_CLUSTER_NODES: nodeList,
  REDIS_SENTINELS: nodeList,
  REDIS_SENTINEL_NAME: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, "must be 1-64 chars of [A-Za-z0-9._-]")
    .default("mymaster"),
  REDIS_SENTINEL_PASSWORD: optionalString,
  REDIS_USERNAME: optionalString,
  REDIS_PASSWORD: optionalString,
  REDIS_TLS: flag(undefined),
  REDIS_TLS_CA_FILE: pemFile,
  REDIS_TLS_SERVERNAME: optionalString,
  REDIS_ALLOW_EVICTION: flag(false),
  REDIS_WAIT_REPLICAS: z.coerce.number().int().min(0).max(16).default(0),
  // Below the ingest connection's 2 s command timeout, so a slow WAIT is a refused write and not a dropped connection.
  REDIS_WAIT_TIMEOUT_MS: z.coerce.number().int().min(1).max(1000).default(250),
};

type RedisRaw = z.output<z.ZodObject<typeof redisSchemaFields>>;

export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

export interface RedisSettings {
  /** Standalone Redis (the default topology). */
  readonly redisUrl: string | undefined;
  /** Redis Cluster seed nodes: selects cluster mode. */
  readonly redisClusterNodes: readonly RedisNode[] | undefined;
  /** Sentinels: selects Sentinel mode (a primary with replicas, promoted by the Sentinels). */
  readonly redisSentinels?: readonly RedisNode[] | undefined;
  readonly redisSentinelName?: string;
  readonly redisSentinelPassword?: string | undefined;
  /** ACL user (Redis 6+, ElastiCache RBAC); the password alone is the AUTH token otherwise. */
  readonly redisUsername?: string | undefined;
  readonly redisPassword?: string | undefined;
  /** TLS to Redis (and to the Sentinels): on with REDIS_TLS=1 or a rediss:// URL. */
  readonly redisTls?: boolean;
  /** PEM bundle of the CA that signed the servers' certificates (otherwise Node's default CAs). */
  readonly redisTlsCa?: string | undefined;
  /** Name the servers' certificates must carry, when it is not the host connected to. */
  readonly redisTlsServername?: string | undefined;
  /** Count even when maxmemory-policy may evict keys (documented risk: evicted dedupe marks double count). */
  readonly redisAllowEviction?: boolean;
  /** Ingest acknowledges a count only after this many replicas confirmed it (WAIT); 0 acknowledges at once. */
  readonly redisWaitReplicas?: number;
  /** How long WAIT may take before the write is answered 503 (retry, safe). */
  readonly redisWaitTimeoutMs?: number;
}

/** Problems that involve several variables, as [variable, message]. */
export function redisProblems(raw: RedisRaw): Array<[string, string]> {
  const problems: Array<[string, string]> = [];
  const topologies = (["REDIS_URL", "REDIS_CLUSTER_NODES", "REDIS_SENTINELS"] as const).filter((name) => raw[name] !== undefined);
  if (topologies.length > 1)
    problems.push([topologies[1]!, `cannot be combined with ${topologies[0]}: set one of REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS`]);
  if (raw.REDIS_TLS === false && raw.REDIS_URL?.startsWith("rediss:"))
    problems.push(["REDIS_TLS", "is off but REDIS_URL is a rediss:// (TLS) URL"]);
  if (raw.REDIS_USERNAME !== undefined && raw.REDIS_PASSWORD === undefined)
    problems.push(["REDIS_PASSWORD", "is required when REDIS_USERNAME is set"]);
  return problems;
}

export function redisSettingsOf(raw: RedisRaw): RedisSettings {
  return {
    redisUrl: raw.REDIS_URL,
    redisClusterNodes: raw.REDIS_CLUSTER_NODES ? Object.freeze(raw.REDIS_CLUSTER_NODES) : undefined,
    redisSentinels: raw.REDIS_SENTINELS ? Object.freeze(raw.REDIS_SENTINELS) : undefined,
    redisSentinelName: raw.REDIS_SENTINEL_NAME,
    redisSentinelPassword: raw.REDIS_SENTINEL_PASSWORD,
    redisUsername: raw.REDIS_USERNAME,
    redisPassword: raw.REDIS_PASSWORD,
    redisTls: raw.REDIS_TLS ?? raw.REDIS_URL?.startsWith("rediss:") ?? false,
    redisTlsCa: raw.REDIS_TLS_CA_FILE,
    redisTlsServername: raw.REDIS_TLS_SERVERNAME,
    redisAllowEviction: raw.REDIS_ALLOW_EVICTION ?? false,
    redisWaitReplicas: raw.REDIS_WAIT_REPLICAS,
    redisWaitTimeoutMs: raw.REDIS_WAIT_TIMEOUT_MS,
  };
}
