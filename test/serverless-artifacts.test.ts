// The packaged prod artifacts run on their own, each in a fresh node process as in a new Lambda container (only the
// unzipped files, no node_modules): the queue, stream and event functions count without INGEST_SECRET; ingestHttp
// refuses to count without it, reads it from SSM (the real SDK client against a local SSM endpoint) and answers an
// SSM failure in the project's error shape.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeRedis, createRedis } from "../core/redis.js";
import { campaignKeys } from "../core/store/keys.js";
import { sign } from "../ingest/domain/signature.js";
import { kinesisEvent, sqsEvent } from "./fixtures/aws-events.js";
import { payment, readTotals } from "./support/counters.js";
import { RedisServer } from "./support/redis-server.js";
import { type Packaged, packageService } from "./support/serverless-package.js";

const exec = promisify(execFile);
const secret = "prod-signing-secret-0123456789";
// A Lambda-like context: 10 s left, as with serverless.yml's timeout.
const runner = [
  "const { writeFileSync } = await import('node:fs');",
  "const { handler } = await import(process.env.HANDLER_FILE);",
  "const context = { awsRequestId: 'req-1', getRemainingTimeInMillis: () => 10000 };",
  "let out; try { out = { result: await handler(JSON.parse(process.env.EVENT), context) }; }",
  "catch (err) { out = { error: { code: err.code, message: err.message } }; }",
  "writeFileSync(process.env.RESULT_FILE, JSON.stringify(out)); process.exit(0);",
].join("\n");

let pkg: Packaged;
let server: RedisServer;
let dir: string;
let ssm: Server;
let ssmPort: number;
/** What the local SSM endpoint does: answer with the secret, or throttle every call. */
let ssmMode: "answer" | "throttle" = "answer";
const ssmCalls: string[] = [];

beforeAll(async () => {
  [pkg, server] = await Promise.all([packageService("prod"), RedisServer.start()]);
  dir = mkdtempSync(join(tmpdir(), "sls-artifact-"));
  // The SSM JSON protocol (X-Amz-Target: AmazonSSM.GetParameter), as the SDK speaks it.
  ssm = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      ssmCalls.push(`${req.headers["x-amz-target"]} ${JSON.parse(body).Name}`);
      if (ssmMode === "throttle") {
        res.writeHead(400, { "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": "ThrottlingException" });
        return res.end(JSON.stringify({ __type: "ThrottlingException", message: "Rate exceeded" }));
      }
      res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
      res.end(JSON.stringify({ Parameter: { Name: JSON.parse(body).Name, Type: "SecureString", Value: secret, Version: 1 } }));
    });
  });
  await new Promise<void>((resolve) => ssm.listen(0, "127.0.0.1", resolve));
  ssmPort = (ssm.address() as { port: number }).port;
}, 200_000);
afterAll(async () => {
  await server?.stop();
  await new Promise((resolve) => ssm?.close(resolve));
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (pkg) rmSync(pkg.dir, { recursive: true, force: true });
});

/** Runs one invocation of a packaged function in a fresh process, with exactly the given environment. */
async function invoke(name: string, event: unknown, env: Record<string, string>) {
  const unpacked = join(dir, name);
  await exec("unzip", ["-qo", join(pkg.dir, `${name}.zip`), "-d", unpacked]);
  const file = join(unpacked, `ingest/handlers/${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}.mjs`);
  const resultFile = join(dir, `${name}-${Date.now()}.json`);
  const { stdout, stderr } = await exec("node", ["--input-type=module", "-e", runner], {
    cwd: dir,
    env: { PATH: process.env.PATH, HANDLER_FILE: pathToFileURL(file).href, EVENT: JSON.stringify(event), RESULT_FILE: resultFile, ...env },
    timeout: 30_000,
  });
  // biome-ignore lint/suspicious/noExplicitAny: the handler's JSON answer, checked by each test
  return { ...(JSON.parse(readFileSync(resultFile, "utf8")) as { result?: any; error?: any }), logs: stdout + stderr };
}

// The environment serverless.yml gives the prod functions, with a local Redis instead of ElastiCache.
const prodEnv = () => ({ STAGE: "prod", REDIS_URL: server.url, CAMPAIGN: "bundle", SHARDS: "4", INGEST_DEADLINE_MS: "3000" });
const httpEvent = (body: string, headers: Record<string, string> = {}) => ({
  version: "2.0",
  rawPath: "/v1/payments",
  headers,
  requestContext: { http: { method: "POST", path: "/v1/payments" } },
  body,
  isBase64Encoded: false,
});

describe("the packaged prod artifacts", () => {
  it("count SQS, Kinesis and direct invocations under STAGE=prod with no INGEST_SECRET (Lua compiled in)", async () => {
    const a = payment({ campaign: "bundle", amount: 700 });
    const b = payment({ campaign: "bundle", amount: 20 });
    const c = payment({ campaign: "bundle", amount: 5 });
    const sqs = sqsEvent([
      { messageId: "1", body: a },
      { messageId: "2", body: a },
      { messageId: "3", body: "nope" },
    ]);
    const [queue, stream, event] = await Promise.all([
      invoke("ingestQueue", sqs, prodEnv()),
      invoke("ingestStream", kinesisEvent([{ sequenceNumber: "1", body: b }]), prodEnv()),
      invoke("ingestEvent", c, prodEnv()),
    ]);
    expect(queue.result).toEqual({ batchItemFailures: [] });
    expect(stream.result).toEqual({ batchItemFailures: [] });
    expect(event.result).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    const redis = createRedis({ redisUrl: server.url, redisClusterNodes: undefined }, { name: "check" });
    try {
      expect((await readTotals(redis, "bundle", 4)).net).toBe(725n);
      expect(await redis.llen(campaignKeys("bundle", 4).deadLetters)).toBe(1);
    } finally {
      await closeRedis(redis);
    }
  }, 60_000);

  it("ingestHttp refuses to count under STAGE=prod without INGEST_SECRET: 503 CONFIG_INVALID, the log names it", async () => {
    const out = await invoke("ingestHttp", httpEvent(JSON.stringify(payment({ campaign: "bundle", amount: 9 }))), prodEnv());
    expect(out.result).toMatchObject({ statusCode: 503, headers: { "retry-after": "1" } });
    expect(JSON.parse(out.result.body).error.code).toBe("CONFIG_INVALID");
    expect(out.logs).toContain("INGEST_SECRET: is required when STAGE=prod");
  }, 30_000);

  it("ingestHttp reads INGEST_SECRET from SSM at cold start and then verifies x-signature", async () => {
    ssmMode = "answer";
    const env = {
      ...prodEnv(),
      INGEST_SECRET_SSM_PARAMETER: "/sales-counter/prod/ingest-secret",
      AWS_ENDPOINT_URL_SSM: `http://127.0.0.1:${ssmPort}`,
      AWS_REGION: "ap-northeast-2",
      AWS_ACCESS_KEY_ID: "AKIDLOCAL",
      AWS_SECRET_ACCESS_KEY: "local",
    };
    const body = JSON.stringify(payment({ campaign: "bundle", amount: 30 }));
    const unsigned = await invoke("ingestHttp", httpEvent(body), env);
    expect(unsigned.result.statusCode).toBe(401);
    expect(JSON.parse(unsigned.result.body).error.code).toBe("SIGNATURE_MISSING");
    const signed = await invoke("ingestHttp", httpEvent(body, { "x-signature": sign(secret, body) }), env);
    expect(signed.result.statusCode).toBe(200);
    expect(ssmCalls).toContain("AmazonSSM.GetParameter /sales-counter/prod/ingest-secret");
  }, 30_000);

  it("ingestHttp answers SSM throttling with 503 SECRET_UNAVAILABLE and Retry-After instead of crashing its init", async () => {
    ssmMode = "throttle";
    const before = ssmCalls.length;
    const out = await invoke("ingestHttp", httpEvent(JSON.stringify(payment({ campaign: "bundle" }))), {
      ...prodEnv(),
      INGEST_SECRET_SSM_PARAMETER: "/sales-counter/prod/ingest-secret",
      AWS_ENDPOINT_URL_SSM: `http://127.0.0.1:${ssmPort}`,
      AWS_REGION: "ap-northeast-2",
      AWS_ACCESS_KEY_ID: "AKIDLOCAL",
      AWS_SECRET_ACCESS_KEY: "local",
    });
    expect(out.result).toMatchObject({ statusCode: 503, headers: { "retry-after": "1" } });
    expect(JSON.parse(out.result.body).error.code).toBe("SECRET_UNAVAILABLE");
    // The SDK retried the throttled call before giving up, and the log says what SSM answered.
    expect(ssmCalls.length - before).toBeGreaterThan(1);
    expect(out.logs).toContain("Rate exceeded");
  }, 30_000);
});
