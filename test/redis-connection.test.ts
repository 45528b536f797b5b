// The Redis settings every component shares, against real redis-server processes: TLS with a private CA and a
// password (as ElastiCache with encryption in transit and an AUTH token), a wrong password or CA as a clear startup
// error (exit 78, naming the setting) instead of a retry loop, and an evicting maxmemory-policy refused at start.
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Snapshot } from "../core/snapshot.js";
import { createIngestRuntime } from "../ingest/domain/runtime.js";
import { createQueueHandler } from "../ingest/handlers/ingest-queue.js";
import { sqsEvent } from "./fixtures/aws-events.js";
import { Component } from "./support/components.js";
import { testConfig } from "./support/config.js";
import { payment, readTotals } from "./support/counters.js";
import { eventually } from "./support/pipeline.js";
import { freePort, RedisServer } from "./support/redis-server.js";
import { makeCertificates, type TestCertificates } from "./support/tls-certs.js";

const password = "s3cret-auth-token-0123456789";
let certs: TestCertificates;
let tlsServer: RedisServer;
let evicting: RedisServer;
const components: Component[] = [];

beforeAll(async () => {
  certs = await makeCertificates();
  tlsServer = await RedisServer.start({ tls: certs, password });
  evicting = await RedisServer.start({ args: ["--maxmemory", "64mb", "--maxmemory-policy", "volatile-lru"] });
}, 30000);

afterAll(async () => {
  await Promise.all(components.map((c) => c.stop()));
  await tlsServer?.stop();
  await evicting?.stop();
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
});

const start = (entry: string, env: Record<string, string>, args: readonly string[] = []) => {
  const component = Component.start(entry, { CAMPAIGN: "conn", SHARDS: "4", HOST: "127.0.0.1", DEMO: "0", ...env }, args);
  components.push(component);
  return component;
};

/** Exit code and output of a component that must stop by itself within timeoutMs. */
async function exitOf(component: Component, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  const timer = new Promise<"running">((resolve) => setTimeout(() => resolve("running"), timeoutMs));
  const code = await Promise.race([component.exited, timer]);
  if (code === "running") throw new Error(`still running after ${timeoutMs} ms:\n${component.output.join("")}`);
  return { code, output: component.output.join("") };
}

describe("TLS and a password", () => {
  const tlsEnv = () => ({ REDIS_URL: `rediss://127.0.0.1:${tlsServer.port}`, REDIS_PASSWORD: password, REDIS_TLS_CA_FILE: certs.caFile });

  it("runs ingest, aggregator and broadcaster over TLS with AUTH: a posted payment reaches GET /v1/total", async () => {
    const [ingestPort, lambdaPort, broadcasterPort] = [await freePort(), await freePort(), await freePort()];
    const env = { ...tlsEnv(), FOLD_INTERVAL_MS: "50", HEARTBEAT_MS: "200" };
    start("ingest/local/main.ts", { ...env, INGEST_PORT: String(ingestPort), LAMBDA_PORT: String(lambdaPort) });
    start("aggregator/main.ts", env);
    start("broadcaster/main.ts", { ...env, BROADCASTER_PORT: String(broadcasterPort) });
    const body = JSON.stringify(payment({ campaign: "conn", amount: 74_300 }));
    const posted = await eventually(
      async () => {
        const res = await fetch(`http://127.0.0.1:${ingestPort}/v1/payments`, { method: "POST", body }).catch(() => undefined);
        return res?.status === 200 ? ((await res.json()) as { accepted: number }) : undefined;
      },
      20000,
      "the ingest gateway to count the payment",
    );
    expect(posted.accepted).toBe(1);
    const snapshot = await eventually(
      async () => {
        const res = await fetch(`http://127.0.0.1:${broadcasterPort}/v1/total`).catch(() => undefined);
        const s = res?.status === 200 ? ((await res.json()) as Snapshot) : undefined;
        return s?.total === "74300" ? s : undefined;
      },
      20000,
      "the total over TLS",
    );
    expect(snapshot.count).toBe(1);
    // This server has no plain port and requires AUTH: every component is connected to it, over TLS, authenticated.
    const clients = await tlsServer.cli("client", "list");
    for (const name of ["ingest", "aggregator", "broadcaster", "broadcaster-sub"]) expect(clients).toContain(`name=${name} `);
  }, 40000);

  it("stops every component at start with exit code 78 and REDIS_PASSWORD named when the password is wrong", async () => {
    const env = { ...tlsEnv(), REDIS_PASSWORD: "not-the-password" };
    const [ingestPort, lambdaPort, broadcasterPort] = [await freePort(), await freePort(), await freePort()];
    const runs = [
      start("aggregator/main.ts", env),
      start("broadcaster/main.ts", { ...env, BROADCASTER_PORT: String(broadcasterPort) }),
      start("ingest/local/main.ts", { ...env, INGEST_PORT: String(ingestPort), LAMBDA_PORT: String(lambdaPort) }),
      start("reconcile/main.ts", env, ["--start-campaign"]),
    ];
    for (const run of runs) {
      const { code, output } = await exitOf(run, 15000);
      expect(code).toBe(78);
      expect(output).toContain("REDIS_AUTH_FAILED");
      expect(output).toContain("REDIS_PASSWORD");
    }
  }, 40000);

  it("stops at start with REDIS_TLS_FAILED when the server's certificate is not signed by a trusted CA", async () => {
    const { code, output } = await exitOf(start("aggregator/main.ts", { ...tlsEnv(), REDIS_TLS_CA_FILE: "" }), 15000);
    expect(code).toBe(78);
    expect(output).toContain("REDIS_TLS_FAILED");
  }, 20000);

  it("names REDIS_TLS_CA_FILE when the file cannot be read, before connecting", async () => {
    const { code, output } = await exitOf(start("aggregator/main.ts", { ...tlsEnv(), REDIS_TLS_CA_FILE: "/nonexistent/ca.pem" }), 15000);
    expect(code).toBe(78);
    expect(output).toMatch(/REDIS_TLS_CA_FILE="\/nonexistent\/ca.pem": cannot be read \(ENOENT\)/);
  }, 20000);
});

describe("maxmemory-policy", () => {
  it("refuses to count under volatile-lru: ingest and aggregator exit 78 naming maxmemory-policy", async () => {
    const env = { REDIS_URL: evicting.url };
    const [ingestPort, lambdaPort] = [await freePort(), await freePort()];
    for (const run of [
      start("aggregator/main.ts", env),
      start("ingest/local/main.ts", { ...env, INGEST_PORT: String(ingestPort), LAMBDA_PORT: String(lambdaPort) }),
    ]) {
      const { code, output } = await exitOf(run, 15000);
      expect(code).toBe(78);
      expect(output).toContain("REDIS_EVICTION_POLICY");
      expect(output).toContain("maxmemory-policy is volatile-lru");
    }
  }, 40000);

  it("makes reconcile refuse to write under volatile-lru (exit 78, nothing written) and only warn when it compares", async () => {
    const env = { REDIS_URL: evicting.url, CAMPAIGN: "conn-reconcile" };
    const exportFile = join(certs.dir, "payments.jsonl");
    writeFileSync(exportFile, `${JSON.stringify(payment({ campaign: "conn-reconcile", paymentId: "r-1" }))}\n`);
    for (const args of [["--start-campaign"], ["--file", exportFile, "--rebuild", "--no-progress"]]) {
      const { code, output } = await exitOf(start("reconcile/main.ts", env, args), 15000);
      expect(code, args.join(" ")).toBe(78);
      expect(output).toContain("REDIS_EVICTION_POLICY");
      expect(output).toContain("maxmemory-policy is volatile-lru");
    }
    expect(await evicting.cli("--scan", "--pattern", "sc:{conn-reconcile*")).toBe("");
    // A comparison only reads: it runs, says the policy is unsafe, and reports the payment the counters lack (exit 2).
    const compare = await exitOf(start("reconcile/main.ts", env, ["--file", exportFile, "--no-progress"]), 15000);
    expect(compare.output).toContain("warning: Redis maxmemory-policy is volatile-lru");
    expect(compare.code).toBe(2);
  }, 40000);

  it("makes a Lambda handler refuse to count (records handed back, nothing written) under volatile-lru", async () => {
    const runtime = createIngestRuntime(testConfig({ REDIS_URL: evicting.url, CAMPAIGN: "conn", SHARDS: "4" }));
    try {
      const handler = createQueueHandler(() => runtime);
      const result = await handler(sqsEvent([{ messageId: "m1", body: payment({ campaign: "conn" }) }]));
      expect(result.batchItemFailures).toEqual([{ itemIdentifier: "m1" }]);
      expect((await readTotals(runtime.redis, "conn", 4)).count).toBe(0);
    } finally {
      runtime.redis.disconnect();
    }
  });

  it("counts under volatile-lru when REDIS_ALLOW_EVICTION=1 says so", async () => {
    const runtime = createIngestRuntime(testConfig({ REDIS_URL: evicting.url, CAMPAIGN: "conn", SHARDS: "4", REDIS_ALLOW_EVICTION: "1" }));
    try {
      const result = await createQueueHandler(() => runtime)(sqsEvent([{ messageId: "m2", body: payment({ campaign: "conn" }) }]));
      expect(result.batchItemFailures).toEqual([]);
      expect((await readTotals(runtime.redis, "conn", 4)).count).toBe(1);
    } finally {
      runtime.redis.disconnect();
    }
  });
});
