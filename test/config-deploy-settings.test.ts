// The settings the container and ECS use (AGGREGATOR_PORT, METRICS_NAMESPACE, METRICS_INTERVAL_MS) are checked at start
// like every other variable: a bad value is a ConfigError naming it.
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../core/config.js";

describe("deployment settings", () => {
  it("default to no aggregator endpoint and no EMF lines", () => {
    const config = parseConfig({});
    expect(config).toMatchObject({ aggregatorPort: undefined, metricsNamespace: undefined, metricsIntervalMs: 10000 });
  });

  it("accept a port, a CloudWatch namespace and an interval", () => {
    const config = parseConfig({ AGGREGATOR_PORT: "8081", METRICS_NAMESPACE: "SalesCounter/prod", METRICS_INTERVAL_MS: "5000" });
    expect(config).toMatchObject({ aggregatorPort: 8081, metricsNamespace: "SalesCounter/prod", metricsIntervalMs: 5000 });
  });

  it("name each bad value", () => {
    let error: unknown;
    try {
      parseConfig({ AGGREGATOR_PORT: "80a", METRICS_NAMESPACE: "has space", METRICS_INTERVAL_MS: "10" });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join("\n");
    expect(problems).toContain('AGGREGATOR_PORT="80a"');
    expect(problems).toContain('METRICS_NAMESPACE="has space": must be a CloudWatch namespace');
    expect(problems).toContain('METRICS_INTERVAL_MS="10"');
    expect(() => parseConfig({ AGGREGATOR_PORT: "70000" })).toThrow(/AGGREGATOR_PORT="70000"/);
  });
});
