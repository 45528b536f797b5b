// The packaged prod artifacts run on their own, each in a fresh node process as in a new Lambda container (only the
// unzipped files, no node_modules): the queue, stream and event functions count without INGEST_SECRET; ingestHttp
// refuses to count without it, reads it from SSM (the real SDK client against a local SSM endpoint) and answers an
// SSM failure in the project's error shape. Every function reads the Redis AUTH token from Secrets Manager (the real
// SDK client against a local endpoint) and counts over TLS with it; a secret it cannot read is a passing failure.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
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
import { FakeAwsJsonEndpoint } from "./support/fake-aws-json.js";
import { RedisServer } from "./support/redis-server.js";
import { type Packaged, packageService } from "./support/serverless-package.js";
import { makeCertificates, type TestCertificates } from "./support/tls-certs.js";

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
let ssm: FakeAwsJsonEndpoint;
/** What the local SSM endpoint does: answer with the secret, or throttle every call. */
let ssmMode: "answer" | "throttle" = "answer";
const authToken = "elasticache-auth-token-0123456789abcdef";
const secretArn = "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:RedisAuthToken-AbCdEf";
let certs: TestCertificates;
let tlsServer: RedisServer;
let secretsManager: FakeAwsJsonEndpoint;
/** What the local Secrets Manager endpoint does: answer with the token, or deny every call (a role without the grant). */
let secretsMode: "answer" | "deny" = "answer";

beforeAll(async () => {
  certs = await makeCertificates();
  // ElastiCache's shape: TLS only (no plain port) and an AUTH token.
  [pkg, server, tlsServer] = await Promise.all([
    packageService("prod"),
    RedisServer.start(),
    RedisServer.start({ tls: certs, password: authToken }),
  ]);
  dir = mkdtempSync(join(tmpdir(), "sls-artifact-"));
  // The SSM JSON protocol (X-Amz-Target: AmazonSSM.GetParameter), as the SDK speaks it.
  ssm = await FakeAwsJsonEndpoint.start(({ body }) =>
    ssmMode === "throttle"
      ? { error: { type: "ThrottlingException", message: "Rate exceeded" } }
      : { ok: { Parameter: { Name: body.Name, Type: "SecureString", Value: secret, Version: 1 } } },
  );
  // Secrets Manager's (X-Amz-Target: secretsmanager.GetSecretValue): SecretString holds the token itself, as the
  // infrastructure generates it (Secrets Manager API Reference, GetSecretValue response elements).
  secretsManager = await FakeAwsJsonEndpoint.start(({ body }) => {
    if (secretsMode === "deny")
      return { error: { type: "AccessDeniedException", message: "not authorized to perform: secretsmanager:GetSecretValue" } };
    if (body.SecretId !== secretArn)
      return { error: { type: "ResourceNotFoundException", message: "Secrets Manager can't find the specified secret." } };
    const answer = { ARN: secretArn, Name: "RedisAuthToken", VersionId: "v1", SecretString: authToken, VersionStages: ["AWSCURRENT"] };
    return { ok: { ...answer, CreatedDate: 1.7e9 } };
  });
}, 200_000);
afterAll(async () => {
  await server?.stop();
  await tlsServer?.stop();
  await ssm?.close();
  await secretsManager?.close();
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
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
      AWS_ENDPOINT_URL_SSM: ssm.url,
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
    expect(ssm.callsOf("AmazonSSM.GetParameter", "Name")).toContain("AmazonSSM.GetParameter /sales-counter/prod/ingest-secret");
  }, 30_000);

  it("ingestHttp answers SSM throttling with 503 SECRET_UNAVAILABLE and Retry-After instead of crashing its init", async () => {
    ssmMode = "throttle";
    const before = ssm.calls.length;
    const out = await invoke("ingestHttp", httpEvent(JSON.stringify(payment({ campaign: "bundle" }))), {
      ...prodEnv(),
      INGEST_SECRET_SSM_PARAMETER: "/sales-counter/prod/ingest-secret",
      AWS_ENDPOINT_URL_SSM: ssm.url,
      AWS_REGION: "ap-northeast-2",
      AWS_ACCESS_KEY_ID: "AKIDLOCAL",
      AWS_SECRET_ACCESS_KEY: "local",
    });
    expect(out.result).toMatchObject({ statusCode: 503, headers: { "retry-after": "1" } });
    expect(JSON.parse(out.result.body).error.code).toBe("SECRET_UNAVAILABLE");
    // The SDK retried the throttled call before giving up, and the log says what SSM answered.
    expect(ssm.calls.length - before).toBeGreaterThan(1);
    expect(out.logs).toContain("Rate exceeded");
  }, 30_000);
});

describe("the packaged prod artifacts against ElastiCache's TLS and AUTH token", () => {
  const names = ["ingestQueue", "ingestStream", "ingestEvent", "ingestHttp"] as const;
  // What serverless.yml gives every function (REDIS_TLS=1, the secret's ARN), with a local TLS Redis and local AWS
  // endpoints; AWS_LAMBDA_FUNCTION_NAME as Lambda sets it, so the secret is read in the init phase.
  const tlsEnv = (name: string, campaign: string) => ({
    STAGE: "prod",
    CAMPAIGN: campaign,
    SHARDS: "4",
    INGEST_DEADLINE_MS: "3000",
    REDIS_URL: `redis://127.0.0.1:${tlsServer.port}`,
    REDIS_TLS: "1",
    // The test's own CA; on AWS, ElastiCache's certificates chain to a public CA Node trusts.
    REDIS_TLS_CA_FILE: certs.caFile,
    REDIS_PASSWORD_SECRET_ARN: secretArn,
    INGEST_SECRET_SSM_PARAMETER: "/sales-counter/prod/ingest-secret",
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.url,
    AWS_ENDPOINT_URL_SSM: ssm.url,
    AWS_REGION: "ap-northeast-2",
    AWS_ACCESS_KEY_ID: "AKIDLOCAL",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_LAMBDA_FUNCTION_NAME: `sales-counter-prod-${name}`,
  });
  const invokeAll = (campaign: string, amounts: [number, number, number, number]) => {
    const [q, k, e, h] = amounts.map((amount) => payment({ campaign, amount }));
    const body = JSON.stringify(h);
    const events = {
      ingestQueue: sqsEvent([
        { messageId: "q1", body: q },
        { messageId: "q2", body: payment({ campaign, amount: 1 }) },
      ]),
      ingestStream: kinesisEvent([
        { sequenceNumber: "11", body: k },
        { sequenceNumber: "12", body: payment({ campaign, amount: 2 }) },
      ]),
      ingestEvent: e,
      ingestHttp: httpEvent(body, { "x-signature": sign(secret, body) }),
    };
    return Promise.all(names.map((name) => invoke(name, events[name], tlsEnv(name, campaign))));
  };
  const totalOf = async (campaign: string) => {
    const redis = createRedis(
      {
        redisUrl: `redis://127.0.0.1:${tlsServer.port}`,
        redisClusterNodes: undefined,
        redisTls: true,
        redisTlsCa: readFileSync(certs.caFile, "utf8"),
        redisPassword: authToken,
      },
      { name: "check" },
    );
    try {
      return (await readTotals(redis, campaign, 4)).net;
    } finally {
      await closeRedis(redis);
    }
  };

  it("every function reads the AUTH token from Secrets Manager at cold start and counts its batch over TLS", async () => {
    secretsMode = "answer";
    ssmMode = "answer";
    const before = secretsManager.calls.length;
    const [queue, stream, event, http] = await invokeAll("tls", [700, 50, 5, 4000]);
    expect(queue!.result).toEqual({ batchItemFailures: [] });
    expect(stream!.result).toEqual({ batchItemFailures: [] });
    expect(event!.result).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    expect(http!.result.statusCode).toBe(200);
    // The server has no plain port and requires AUTH: these were counted over TLS with the token.
    expect(await totalOf("tls")).toBe(700n + 1n + 50n + 2n + 5n + 4000n);
    // One GetSecretValue per container (four fresh processes), for exactly the ARN serverless.yml passes.
    expect(secretsManager.calls.slice(before).map((c) => `${c.target} ${c.body.SecretId}`)).toEqual(
      names.map(() => `secretsmanager.GetSecretValue ${secretArn}`),
    );
  }, 60_000);

  it("answers a secret it cannot read as a passing failure: every record back, a retried error, 503 SECRET_UNAVAILABLE", async () => {
    secretsMode = "deny";
    ssmMode = "answer";
    const [queue, stream, event, http] = await invokeAll("denied", [700, 50, 5, 4000]);
    expect(queue!.result).toEqual({ batchItemFailures: [{ itemIdentifier: "q1" }, { itemIdentifier: "q2" }] });
    // Kinesis resumes from the lowest reported record: the whole batch comes back.
    expect(stream!.result).toEqual({ batchItemFailures: [{ itemIdentifier: "11" }, { itemIdentifier: "12" }] });
    // An error, which Lambda retries (and after the retries sends to the payments queue).
    expect(event!.error).toMatchObject({ code: "SECRET_UNAVAILABLE" });
    expect(http!.result).toMatchObject({ statusCode: 503, headers: { "retry-after": "1" } });
    expect(JSON.parse(http!.result.body)).toEqual({ error: { code: "SECRET_UNAVAILABLE", message: expect.stringContaining("retry") } });
    // The container's log says which setting and what Secrets Manager answered; the caller's answer does not.
    for (const out of [queue, stream, event, http]) expect(out!.logs).toContain("REDIS_PASSWORD_SECRET_ARN: could not read");
    expect(http!.logs).toContain("not authorized to perform: secretsmanager:GetSecretValue");
    expect(http!.result.body).not.toContain(secretArn);
    // The alarms see it: the queue's EMF document counts the records handed back.
    const emf = queue!.logs
      .split("\n")
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line));
    expect(emf).toContainEqual(expect.objectContaining({ source: "sqs", BatchItemFailures: 2, RetriedRecords: 2 }));
    expect(await totalOf("denied")).toBe(0n);
  }, 60_000);
});
