// Configuration is parsed once with every problem listed together, each naming its variable and value.
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../core/config.js";

const problemsOf = (env: Record<string, string>) => {
  try {
    parseConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe("configuration", () => {
  it("lists every problem together, naming the variable and the value", () => {
    const problems = problemsOf({ SHARDS: "0", CAMPAIGN: "no spaces", REDIS_URL: "http://x" });
    expect(problems).toHaveLength(3);
    expect(problems.join("\n")).toContain('SHARDS="0"');
    expect(problems.join("\n")).toContain('CAMPAIGN="no spaces": must be 1-64 characters of [A-Za-z0-9_-]');
    expect(problems.join("\n")).toContain('REDIS_URL="http://x": must be a redis:// or rediss:// URL');
  });

  it("selects Sentinel mode from REDIS_SENTINELS, with mymaster as the default name", () => {
    const config = parseConfig({ REDIS_SENTINELS: "10.0.0.1:26379, 10.0.0.2:26379" });
    expect(config.redisSentinels).toEqual([
      { host: "10.0.0.1", port: 26379 },
      { host: "10.0.0.2", port: 26379 },
    ]);
    expect(config.redisSentinelName).toBe("mymaster");
    expect(parseConfig({ REDIS_SENTINELS: "a:1", REDIS_SENTINEL_NAME: "sales" }).redisSentinelName).toBe("sales");
    expect(problemsOf({ REDIS_SENTINELS: "no-port" })).toEqual(['REDIS_SENTINELS="no-port": "no-port" must be host:port']);
  });

  it("allows one topology: REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS", () => {
    expect(problemsOf({ REDIS_URL: "redis://a:1", REDIS_SENTINELS: "b:2" })).toEqual([
      'REDIS_SENTINELS="b:2": cannot be combined with REDIS_URL: set one of REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS',
    ]);
  });

  it("turns TLS on for a rediss:// URL or REDIS_TLS=1, and reads the CA file at start", () => {
    expect(parseConfig({ REDIS_URL: "rediss://cache:6379" }).redisTls).toBe(true);
    expect(parseConfig({ REDIS_CLUSTER_NODES: "cfg:6379", REDIS_TLS: "1" }).redisTls).toBe(true);
    expect(parseConfig({}).redisTls).toBe(false);
    expect(problemsOf({ REDIS_URL: "rediss://cache:6379", REDIS_TLS: "0" })).toEqual([
      'REDIS_TLS="0": is off but REDIS_URL is a rediss:// (TLS) URL',
    ]);
    const notPem = join(tmpdir(), `sc-not-pem-${process.pid}.txt`);
    writeFileSync(notPem, "hello");
    expect(problemsOf({ REDIS_TLS_CA_FILE: notPem })).toEqual([`REDIS_TLS_CA_FILE="${notPem}": is not a PEM file (no -----BEGIN line)`]);
  });

  it("needs a password with an ACL user, and keeps both out of the frozen config's logs", () => {
    expect(problemsOf({ REDIS_USERNAME: "app" })).toEqual(["REDIS_PASSWORD: is required when REDIS_USERNAME is set"]);
    const config = parseConfig({ REDIS_USERNAME: "app", REDIS_PASSWORD: "pw" });
    expect([config.redisUsername, config.redisPassword]).toEqual(["app", "pw"]);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("takes a Lambda function name, partial ARN or ARN for milestones, and checks the delivery backoff", () => {
    for (const name of [
      "milestoneRecorder",
      "123456789012:function:my-fn",
      "arn:aws:lambda:ap-northeast-2:123456789012:function:my-fn:live",
    ]) {
      expect(parseConfig({ MILESTONE_FUNCTION: name }).milestoneFunction).toBe(name);
    }
    expect(problemsOf({ MILESTONE_FUNCTION: "has spaces" })).toEqual([
      'MILESTONE_FUNCTION="has spaces": must be a Lambda function name, partial ARN or ARN, optionally with a qualifier',
    ]);
    const defaults = parseConfig({});
    expect([defaults.milestoneTimeoutMs, defaults.milestoneRetryBaseMs, defaults.milestoneRetryMaxMs]).toEqual([5000, 1000, 60000]);
    expect(problemsOf({ MILESTONE_RETRY_BASE_MS: "5000", MILESTONE_RETRY_MAX_MS: "1000" })).toEqual([
      'MILESTONE_RETRY_MAX_MS="1000": must be at least MILESTONE_RETRY_BASE_MS',
    ]);
  });
});
