// The operations configs in ops/ as their own tools read them: the alert rules pass `promtool test rules` (a firing and
// a quiet case each), the Prometheus config loads, and HAProxy accepts its config with the fleet's environment.
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const exec = promisify(execFile);
const ops = join(import.meta.dirname, "..", "ops");
const dir = mkdtempSync(join(tmpdir(), "sc-ops-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("ops/prometheus", () => {
  it("passes promtool test rules, with a firing and a quiet case for every alert", async () => {
    const { stdout } = await exec("promtool", ["test", "rules", join(ops, "prometheus", "alerts.test.yml")]);
    expect(stdout).toContain("SUCCESS");
    const rules = [...readFileSync(join(ops, "prometheus", "alerts.yml"), "utf8").matchAll(/- alert: (\w+)/g)].map((m) => m[1]!);
    const tests = readFileSync(join(ops, "prometheus", "alerts.test.yml"), "utf8");
    expect(rules.length).toBeGreaterThanOrEqual(8);
    for (const rule of rules) {
      // Quiet: an eval with exp_alerts: [] ; firing: an eval with an expected alert.
      expect(tests, rule).toMatch(new RegExp(`alertname: ${rule}, exp_alerts: \\[\\]`));
      expect(tests, rule).toMatch(new RegExp(`alertname: ${rule}\\n\\s+exp_alerts:\\n\\s+- exp_labels`));
    }
  });

  it("loads the Prometheus config with its rules and file_sd targets", async () => {
    cpSync(join(ops, "prometheus"), dir, { recursive: true });
    mkdirSync(join(dir, "targets"), { recursive: true });
    for (const job of ["broadcaster", "aggregator", "ingest", "haproxy"]) writeFileSync(join(dir, "targets", `${job}.json`), "[]");
    const { stdout } = await exec("promtool", ["check", "config", join(dir, "prometheus.yml")]);
    expect(stdout).toContain("is valid prometheus config file syntax");
  });
});

describe("ops/haproxy", () => {
  it("is a valid HAProxy config once the fleet's addresses are in the environment", async () => {
    const env = {
      ...process.env,
      FLEET_PORT: "18000",
      HAPROXY_STATS_PORT: "18001",
      BROADCASTER_1: "127.0.0.1:18011",
      BROADCASTER_2: "127.0.0.1:18012",
      BROADCASTER_3: "127.0.0.1:18013",
      INGEST_1: "127.0.0.1:18021",
      INGEST_2: "127.0.0.1:18022",
    };
    const { stdout } = await exec("haproxy", ["-c", "-f", join(ops, "haproxy", "haproxy.cfg")], { env });
    expect(stdout).toContain("Configuration file is valid");
  });
});
