// The image's runtime as the Dockerfile builds it, on the image's own base: Debian 13 trixie and the image's Node (22) in a
// chroot, no Docker engine. Its runtime stage is performed inside the chroot (the production `npm ci` with that Node's npm,
// the guard), the built components run there against a Redis on this machine, and the checks come from this machine: the
// native uWS binary of @btc-vision/uwebsockets.js serves WebSocket viewers. Then the same install under this machine's
// bookworm glibc: Node 22 is refused by the guard (why the image is not bookworm), Node 20 loads the pinned package.
// Behind a flag (downloads ~150 MB the first time, minutes): `npm run test:image-runtime`. Needs root (debootstrap, chroot).
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { Snapshot } from "../core/snapshot.js";
import { sqsEvent } from "./fixtures/aws-events.js";
import { invoke, localLambda } from "./fixtures/lambda-client.js";
import { type BuiltImage, buildImage, type Container } from "./support/built-image.js";
import { payment } from "./support/counters.js";
import { last, parseDockerfile } from "./support/dockerfile.js";
import { hostPath } from "./support/image-steps.js";
import { eventually } from "./support/pipeline.js";
import { freePort, RedisServer } from "./support/redis-server.js";
import { TrixieRoot } from "./support/trixie-root.js";
import { modernUws, pinnedUws } from "./support/uws-packages.js";

const exec = promisify(execFile);
const enabled = process.env.IMAGE_RUNTIME === "1";
const cacheDir = process.env.IMAGE_RUNTIME_CACHE ?? "/var/cache/sales-counter";
const log = (line: string) => process.stderr.write(`[image-runtime] ${line}\n`);

describe.skipIf(!enabled)("the image's runtime: Node of the Dockerfile on Debian trixie, in a chroot", () => {
  let trixie: TrixieRoot;
  let image: BuiltImage;
  let redis: RedisServer;
  let env: Record<string, string>;
  const ports = { ingest: 0, lambda: 0, broadcaster: 0, aggregator: 0 };
  const containers: Container[] = [];
  const figures: Record<string, unknown> = {};
  const url = (port: number, path: string) => `http://127.0.0.1:${port}${path}`;
  const json = async (u: string) => (await fetch(u)).json() as Promise<Record<string, unknown>>;

  beforeAll(async () => {
    const dockerfile = parseDockerfile(readFileSync(join(import.meta.dirname, "..", "Dockerfile"), "utf8"));
    const nodeMajor = dockerfile.globalArgs.NODE_VERSION!;
    expect(dockerfile.stages.at(-1)!.image).toMatch(/-trixie-slim$/);
    let started = Date.now();
    trixie = await TrixieRoot.prepare({ cacheDir, nodeMajor, log });
    figures.prepareSeconds = (Date.now() - started) / 1000;
    figures.node = trixie.nodeVersion;
    figures.glibc = await trixie.glibcVersion();
    trixie.clear(last(dockerfile.stages.at(-1)!, "WORKDIR")!.args);
    log(`root ${trixie.root}: Node ${figures.node}, glibc ${figures.glibc}; performing the Dockerfile (runtime stage in the chroot)`);
    started = Date.now();
    image = await buildImage(trixie);
    figures.imageStepsSeconds = (Date.now() - started) / 1000;
    redis = await RedisServer.start();
    for (const key of Object.keys(ports) as Array<keyof typeof ports>) ports[key] = await freePort();
    env = {
      REDIS_URL: redis.url,
      HOST: "127.0.0.1",
      INGEST_PORT: String(ports.ingest),
      LAMBDA_PORT: String(ports.lambda),
      BROADCASTER_PORT: String(ports.broadcaster),
      AGGREGATOR_PORT: String(ports.aggregator),
      SHARDS: "8",
      DEMO: "0",
    };
  }, 1_800_000);

  afterAll(async () => {
    await Promise.all(containers.map((c) => c.kill()));
    await redis?.stop();
    await trixie?.unmount();
    image?.remove();
    log(`figures ${JSON.stringify(figures)}`);
  });

  it("runs the Dockerfile's runtime steps there: production install with that Node's npm, the guard passes on the btc-vision binary", async () => {
    expect(trixie.nodeVersion.startsWith(`v${image.dockerfile.globalArgs.NODE_VERSION}.`)).toBe(true);
    // @btc-vision/uwebsockets.js's binaries need GLIBC_2.38 (objdump -T); trixie has 2.41.
    expect(Number(String(figures.glibc).split(".")[1])).toBeGreaterThanOrEqual(38);
    expect(image.runtime.ran).toEqual([expect.stringMatching(/^npm ci --omit=dev\b/), "node dist/check-uws-native.js"]);
    figures.imageGuard = trixie.runOutput.at(-1)?.trim();
    expect(trixie.runOutput.at(-1)).toContain(`uWebSockets.js: native binary of ${modernUws} for Node ${trixie.nodeVersion}`);
    expect(trixie.runOutput.at(-1)).toContain(`${pinnedUws}: no uws_linux_${process.arch}_`);
  });

  it("serves a WebSocket viewer on /v1/live the snapshot with a payment posted to the ingest gateway", async () => {
    containers.push(image.start(["aggregator"], env), image.start(["broadcaster"], env), image.start(["ingest"], env));
    await eventually(
      async () => (await fetch(url(ports.broadcaster, "/readyz")).catch(() => undefined))?.ok || undefined,
      20_000,
      "/readyz",
    );
    for (const port of [ports.broadcaster, ports.ingest, ports.lambda]) {
      expect(await json(url(port, "/healthz"))).toMatchObject({ status: "ok", transport: "native", uws: modernUws });
    }
    const messages: Snapshot[] = [];
    const viewer = new WebSocket(`ws://127.0.0.1:${ports.broadcaster}/v1/live`);
    viewer.on("message", (data) => messages.push(JSON.parse(String(data)) as Snapshot));
    await new Promise((resolve, reject) => viewer.once("open", resolve).once("error", reject));
    await eventually(async () => messages[0], 5_000, "the first snapshot");
    expect(messages[0]!.total).toBe("0");
    const postedAt = Date.now();
    const res = await fetch(url(ports.ingest, "/v1/payments"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(payment({ paymentId: "trixie-1", amount: 129000 })),
    });
    expect(res.status).toBe(200);
    const seen = await eventually(async () => messages.find((m) => m.total === "129000"), 5_000, "the payment on /v1/live");
    figures.paymentToViewerMs = Date.now() - postedAt;
    expect(seen.count).toBe(1);
    viewer.close();
  }, 60_000);

  it("counts an SQS batch through the Lambda Invoke API with the AWS SDK, and answers ETag revalidation and ?campaign= on uWS 20.57", async () => {
    const lambda = localLambda(ports.lambda);
    const answer = await invoke(
      lambda,
      "ingestQueue",
      sqsEvent([{ messageId: "m1", body: payment({ paymentId: "trixie-2", amount: 1000 }) }]),
    );
    expect(answer.payload).toEqual({ batchItemFailures: [] });
    lambda.destroy();
    const totalUrl = url(ports.broadcaster, "/v1/total?campaign=blackfriday");
    await eventually(async () => ((await json(totalUrl)).total === "130000" ? true : undefined), 5_000, "the batch in /v1/total");
    // getQuery with an ArrayBuffer key, and endWithoutBody() for the 304 (RFC 9110 §15.4.5: no content). A heartbeat between
    // the two requests changes the ETag ("<epoch>-<seq>"), so the pair is retried.
    const revalidated = await eventually(
      async () => {
        const etag = (await fetch(totalUrl)).headers.get("etag")!;
        const r = await fetch(totalUrl, { headers: { "if-none-match": etag } });
        return r.status === 304 ? { etag, r, body: await r.text() } : undefined;
      },
      5_000,
      "a 304 to If-None-Match",
    );
    expect(revalidated.body).toBe("");
    expect(revalidated.r.headers.get("etag")).toBe(revalidated.etag);
    const unknown = await fetch(url(ports.broadcaster, "/v1/total?campaign=nosuchsale"));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: "UNKNOWN_CAMPAIGN" } });
  });

  it("stops every component gracefully on SIGTERM (app.close() of uWS 20.57)", async () => {
    const exits = await Promise.all(containers.map((c) => c.stop()));
    for (const exit of exits) expect(exit).toEqual({ code: 0, signal: null });
  }, 30_000);

  it("is refused on bookworm's glibc: the same install under this machine's glibc with that Node fails the guard; Node 20 loads the pinned binary", async () => {
    const cwd = hostPath(image.runtime, ".");
    const guard = (node: string) =>
      exec(node, ["dist/check-uws-native.js"], { cwd, env: { ...process.env, ...image.runtime.env } }).then(
        (r) => ({ code: 0, out: r.stdout + r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
      );
    const refused = await guard(join(trixie.root, "usr", "local", "bin", "node"));
    expect(refused.code).toBe(1);
    expect(refused.out).toContain("GLIBC_2.38");
    figures.bookwormGuard = refused.out.trim();
    const node20 = await guard(process.execPath);
    expect(node20).toMatchObject({ code: 0, out: expect.stringContaining(`native binary of ${pinnedUws}`) });
  });
});
