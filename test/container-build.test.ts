// The container image, built the way the Dockerfile says (read from the file, performed without a Docker engine), runs the
// whole pipeline with production dependencies only: ingest → Redis → aggregator → broadcaster, failover on SIGTERM.
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BuiltImage, buildImage, type Container, stage } from "./support/built-image.js";
import { payment } from "./support/counters.js";
import { execForm, last } from "./support/dockerfile.js";
import { allowedByDockerignore, hostPath } from "./support/image-steps.js";
import { eventually } from "./support/pipeline.js";
import { freePort, RedisServer } from "./support/redis-server.js";
import { pinnedUws } from "./support/uws-packages.js";

const exec = promisify(execFile);
const root = join(import.meta.dirname, "..");
let image: BuiltImage;
let redis: RedisServer;
let env: Record<string, string>;
const ports = { ingest: 0, lambda: 0, broadcaster: 0, aggregatorA: 0, aggregatorB: 0 };
const containers: Container[] = [];

function run(args: string[], extra: Record<string, string> = {}): Container {
  const container = image.start(args, { ...env, ...extra });
  containers.push(container);
  return container;
}

async function healthy(url: string): Promise<boolean> {
  return fetch(url).then(
    (r) => r.ok,
    () => false,
  );
}

async function post(event: Record<string, unknown>): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${ports.ingest}/v1/payments`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(event),
  });
  expect(res.status).toBe(200);
}

const total = async () =>
  (await (await fetch(`http://127.0.0.1:${ports.broadcaster}/v1/total`)).json()) as { total: string; count: number };

beforeAll(async () => {
  image = await buildImage();
  redis = await RedisServer.start();
  for (const key of Object.keys(ports) as Array<keyof typeof ports>) ports[key] = await freePort();
  env = {
    REDIS_URL: redis.url,
    // Loopback only on this machine; the image listens on 0.0.0.0 (its ENV) in a container.
    HOST: "127.0.0.1",
    INGEST_PORT: String(ports.ingest),
    LAMBDA_PORT: String(ports.lambda),
    BROADCASTER_PORT: String(ports.broadcaster),
    SHARDS: "8",
    DEMO: "0",
    METRICS_NAMESPACE: "SalesCounter",
    METRICS_INTERVAL_MS: "1000",
  };
}, 300_000);

afterAll(async () => {
  await Promise.all(containers.map((c) => c.kill()));
  await redis?.stop();
  image?.remove();
});

describe("the Dockerfile", () => {
  it("builds in two stages on Node 22 LTS trixie-slim and installs only production dependencies in the image", () => {
    const [build, runtime] = image.dockerfile.stages;
    expect(image.dockerfile.stages).toHaveLength(2);
    // trixie, not bookworm: the uWS binaries for Node >= 22 need glibc >= 2.38 (test/image-runtime.test.ts runs them).
    for (const s of [build!, runtime!]) expect(s.image).toBe("node:22-trixie-slim");
    expect(image.dockerfile.globalArgs).toMatchObject({ NODE_VERSION: "22", DEBIAN_RELEASE: "trixie" });
    expect(image.runtime.ran).toEqual([expect.stringMatching(/^npm ci --omit=dev\b/), "node dist/check-uws-native.js"]);
    expect(stage(image.dockerfile, "build").instructions.some((i) => i.keyword === "RUN" && i.args === "npm run build")).toBe(true);
    const installed = readdirSync(hostPath(image.runtime, "node_modules"));
    for (const dev of ["tsx", "esbuild", "typescript", "vitest", "osls", "@biomejs"]) expect(installed).not.toContain(dev);
    expect(installed).toContain("uWebSockets.js");
    expect(readdirSync(hostPath(image.runtime, "node_modules/@btc-vision"))).toContain("uwebsockets.js");
  });

  it("runs as the unprivileged node user, node itself as the entry point (exec form), with a HEALTHCHECK in exec form", () => {
    const runtime = image.dockerfile.stages.at(-1)!;
    expect(image.runtime.user).toBe("node");
    expect(execForm(last(runtime, "ENTRYPOINT")!.args, "ENTRYPOINT")).toEqual(["node", "dist/run.js"]);
    const health = last(runtime, "HEALTHCHECK")!;
    expect(health.args).toMatch(/^CMD \[/);
    expect(execForm(health.args.slice(4), "HEALTHCHECK")).toEqual(["node", "dist/run.js", "healthcheck"]);
  });

  it("refuses to build an image whose broadcaster would fall back to uWS's JS emulation, unless told to accept it", async () => {
    const guard = (extra: Record<string, string>) =>
      exec("node", ["dist/check-uws-native.js"], {
        cwd: hostPath(image.runtime, "."),
        env: { ...process.env, ...image.runtime.env, ...extra },
      });
    // UWS_USE_FALLBACK=1 makes the package load its fallback, as a Node without a matching binary does.
    await expect(guard({ UWS_USE_FALLBACK: "1" })).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining("no native binary") });
    const accepted = await guard({ UWS_USE_FALLBACK: "1", ALLOW_UWS_FALLBACK: "1" });
    expect(accepted.stdout).toContain("warning: uWebSockets.js has no native binary");
    // This machine's Node 20 keeps the pinned package's binary (Node 22 on trixie: test/image-runtime.test.ts).
    expect((await guard({})).stdout).toContain(`native binary of ${pinnedUws} for Node`);
  });

  it("copies only what .dockerignore lets into the build context", () => {
    const allowed = allowedByDockerignore(join(root, ".dockerignore"));
    const copied = image.dockerfile.stages
      .flatMap((s) => s.instructions)
      .filter((i) => i.keyword === "COPY" && i.flags.from === undefined)
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(copied.length).toBeGreaterThan(3);
    for (const src of copied) expect(allowed, `${src} is copied but excluded by .dockerignore`).toContain(src);
    expect(allowed).not.toContain(".git");
  });

  it("ships bundles that import no development tool and the broadcaster's pages beside them", () => {
    const dist = hostPath(image.runtime, "dist");
    for (const name of ["ingest", "aggregator", "broadcaster", "reconcile", "run"]) {
      const code = readFileSync(join(dist, `${name}.js`), "utf8");
      expect(code).not.toMatch(/from "(tsx|esbuild|vitest)/);
      expect(existsSync(join(dist, `${name}.js.map`))).toBe(true);
    }
    expect(existsSync(join(dist, "public", "index.html"))).toBe(true);
  });
});

describe("containers of the image", () => {
  let aggregatorA: Container;

  it("count a payment posted to the ingest gateway into GET /v1/total of the broadcaster", async () => {
    // As in production: the campaign is started once, explicitly; aggregators never start one (CAMPAIGN_AUTOSTART off).
    const start = image.start(["reconcile", "--start-campaign"], env); // not in `containers`: the tests below index them
    expect(await start.exited).toEqual({ code: 0, signal: null });
    expect(start.output.join("")).toMatch(/Campaign \S+ started: epoch /);
    aggregatorA = run(["aggregator"], { AGGREGATOR_PORT: String(ports.aggregatorA) });
    run(["broadcaster"]);
    run(["ingest"]);
    await eventually(async () => (await healthy(`http://127.0.0.1:${ports.ingest}/healthz`)) || undefined, 20_000, "ingest /healthz");
    await eventually(
      async () => (await healthy(`http://127.0.0.1:${ports.broadcaster}/readyz`)) || undefined,
      20_000,
      "broadcaster /readyz",
    );
    await post(payment({ paymentId: "image-1", amount: 129000 }));
    const seen = await eventually(
      async () => ((await total()).total === "129000" ? total() : undefined),
      10_000,
      "the payment in /v1/total",
    );
    expect(seen.count).toBe(1);
    const health = (await (await fetch(`http://127.0.0.1:${ports.broadcaster}/healthz`)).json()) as { transport: string };
    // On this machine's Node 20 the pinned package's binary loads (the image's Node 22: test/image-runtime.test.ts).
    expect(health).toMatchObject({ transport: "native", uws: pinnedUws });
    const page = await fetch(`http://127.0.0.1:${ports.broadcaster}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<html");
  }, 60_000);

  it("pass the image's HEALTHCHECK while they run", async () => {
    const health = last(image.dockerfile.stages.at(-1)!, "HEALTHCHECK")!;
    const [file, ...args] = execForm(health.args.slice(4), "HEALTHCHECK");
    for (const extra of [{}, { AGGREGATOR_PORT: String(ports.aggregatorA) }]) {
      const { stdout, stderr } = await exec(file!, args, {
        cwd: hostPath(image.runtime, "."),
        env: { ...process.env, ...image.runtime.env, ...env, ...extra },
      });
      expect(`${stdout}${stderr}`).toBe("");
    }
    // Named components answer for themselves; one that is not running fails the check.
    const check = (component: string, port: number) =>
      exec(file!, [...args, component], {
        cwd: hostPath(image.runtime, "."),
        env: { ...process.env, ...image.runtime.env, ...env, AGGREGATOR_PORT: String(port) },
      });
    await expect(check("aggregator", ports.aggregatorA)).resolves.toBeDefined();
    await expect(check("aggregator", ports.aggregatorB)).rejects.toMatchObject({ code: 1 });
  });

  it("hand the lead to a standby aggregator when the leader gets SIGTERM, and the number keeps moving", async () => {
    const standby = run(["aggregator"], { AGGREGATOR_PORT: String(ports.aggregatorB) });
    const leaderOf = async (port: number) =>
      ((await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { leader: boolean }).leader;
    await eventually(async () => (await healthy(`http://127.0.0.1:${ports.aggregatorB}/healthz`)) || undefined, 20_000, "standby /healthz");
    expect(await leaderOf(ports.aggregatorA)).toBe(true);
    expect(await leaderOf(ports.aggregatorB)).toBe(false);
    const stoppedAt = Date.now();
    expect(await aggregatorA.stop()).toEqual({ code: 0, signal: null });
    expect(aggregatorA.output.join("")).toContain("lease released");
    await eventually(async () => (await leaderOf(ports.aggregatorB)) || undefined, 5_000, "the standby to lead");
    await post(payment({ paymentId: "image-2", amount: 1000 }));
    await eventually(async () => (await total()).total === "130000" || undefined, 10_000, "the second payment in /v1/total");
    // The lease was released, not left to lapse: the standby took over within a couple of fold ticks of the stop.
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    expect(standby.running).toBe(true);
  }, 60_000);

  it("print CloudWatch EMF documents: connections and snapshot age per broadcaster, leadership per aggregator", async () => {
    // EMF specification (CloudWatch User Guide): _aws.Timestamp in ms, CloudWatchMetrics directives whose dimension keys
    // and metric names are top-level members of the same JSON object.
    type Emf = Record<string, unknown> & {
      _aws: {
        Timestamp: number;
        CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }>;
      };
    };
    const documents = (c: Container): Emf[] =>
      c.output
        .join("")
        .split("\n")
        .filter((line) => line.includes('"_aws"'))
        .map((line) => JSON.parse(line) as Emf);
    const [aggregatorB, broadcaster] = [containers[3]!, containers[1]!];
    const docs = await eventually(
      async () => (documents(broadcaster).some((d) => "SnapshotAgeSeconds" in d) ? documents(broadcaster) : undefined),
      5_000,
      "EMF lines",
    );
    for (const doc of [...docs, ...documents(aggregatorA), ...documents(aggregatorB)]) {
      expect(Math.abs(doc._aws.Timestamp - Date.now())).toBeLessThan(60_000);
      const [directive] = doc._aws.CloudWatchMetrics;
      expect(directive!.Namespace).toBe("SalesCounter");
      for (const key of directive!.Dimensions.flat()) expect(typeof doc[key]).toBe("string");
      for (const metric of directive!.Metrics) expect(typeof doc[metric.Name]).toBe("number");
    }
    const withAge = docs.filter((d) => "SnapshotAgeSeconds" in d).at(-1)!;
    expect(withAge).toMatchObject({ Stage: "dev", Service: "broadcaster", Connections: 0 });
    expect(withAge.SnapshotAgeSeconds).toBeLessThan(3);
    expect(documents(aggregatorA).some((d) => d.Leader === 1 && d.Service === "aggregator")).toBe(true);
    // The standby reported 0 until it took over; its next document says it leads.
    expect(documents(aggregatorB)[0]).toMatchObject({ Leader: 0 });
    await eventually(async () => documents(aggregatorB).at(-1)?.Leader === 1 || undefined, 3_000, "the new leader's Leader 1");
  });

  it("run reconcile with its arguments and agree with the counters", async () => {
    const file = join(image.runtime.root, "payments.jsonl");
    writeFileSync(
      file,
      [payment({ paymentId: "image-1", amount: 129000 }), payment({ paymentId: "image-2", amount: 1000 })]
        .map((e) => JSON.stringify(e))
        .join("\n"),
    );
    const reconcile = run(["reconcile", "--file", file, "--no-progress"]);
    expect(await reconcile.exited).toEqual({ code: 0, signal: null });
    expect(reconcile.output.join("")).toContain("RESULT: counters match the export exactly");
  }, 30_000);

  it("stop gracefully on SIGTERM (docker stop), well within the stop timeouts", async () => {
    const running = containers.filter((c) => c.running);
    expect(running.length).toBe(3);
    const started = Date.now();
    const exits = await Promise.all(running.map((c) => c.stop()));
    for (const exit of exits) expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 30_000);
});
