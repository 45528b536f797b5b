// What a component checks of Redis at start: the credentials and TLS settings work (a wrong password is a clear
// error, not a silent retry loop), and the eviction policy cannot drop dedupe marks.
import { setTimeout as sleep } from "node:timers/promises";
import type { RedisSettings } from "./config-redis.js";
import { CodedError } from "./errors.js";
import { failFastCommandTimeoutMs, isCluster, type RedisClient, waitForReady } from "./redis.js";

export class RedisStartupError extends CodedError {}

/** Errors no retry can fix: the settings are wrong. */
function fatalReason(err: Error): RedisStartupError | undefined {
  const message = err.message;
  if (/WRONGPASS|NOAUTH|invalid password|invalid username/i.test(message))
    return new RedisStartupError(
      "REDIS_AUTH_FAILED",
      `REDIS_PASSWORD / REDIS_USERNAME: Redis refused the credentials (${message.split("\n")[0]}); check the AUTH token or ACL user`,
    );
  const code = (err as NodeJS.ErrnoException).code ?? "";
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME/i.test(code) || /certificate|wrong version number|ssl3_get_record/i.test(message))
    return new RedisStartupError(
      "REDIS_TLS_FAILED",
      `REDIS_TLS / REDIS_TLS_CA_FILE / REDIS_TLS_SERVERNAME: the TLS connection to Redis failed (${code || message}); ` +
        "check that the server speaks TLS and that its certificate is signed by the CA given",
    );
  return undefined;
}

/**
 * Waits up to timeoutMs for the client to be ready. Rejects with RedisStartupError as soon as Redis refuses the
 * credentials or the TLS handshake fails; resolves false when Redis is merely unreachable so far (the caller decides
 * whether to wait on), true when ready.
 */
export function awaitRedis(client: RedisClient, timeoutMs: number): Promise<boolean> {
  if (client.status === "ready") return Promise.resolve(true);
  return new Promise((resolve, reject) => {
    const done = (finish: () => void) => {
      clearTimeout(timer);
      client.off("ready", onReady);
      client.off("error", onError);
      finish();
    };
    const onReady = () => done(() => resolve(true));
    const onError = (err: Error) => {
      const fatal = fatalReason(err);
      if (fatal) done(() => reject(fatal));
    };
    const timer = setTimeout(() => done(() => resolve(false)), timeoutMs);
    timer.unref();
    client.on("ready", onReady);
    client.on("error", onError);
    if (client.status === "wait") client.connect().catch(() => undefined);
  });
}

/** maxmemory-policy of every master (INFO memory: ElastiCache has no CONFIG GET, but reports it there). */
async function evictionPolicies(client: RedisClient): Promise<string[]> {
  // A cluster knows its masters only once connected (a Lambda container checks on its first write, right after start).
  if (isCluster(client) && client.status !== "ready") await waitForReady(client, failFastCommandTimeoutMs);
  const nodes = isCluster(client) ? client.nodes("master") : [client];
  // No master known is "not checked", never "no master evicts".
  if (nodes.length === 0) throw new Error("Redis Cluster: no master is connected yet, the eviction policy cannot be checked");
  const infos = await Promise.all(nodes.map((node) => node.info("memory")));
  return infos.map((info) => /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? "unknown");
}

/**
 * Refuses to count unless Redis never evicts keys: under any other policy Redis may evict dedupe marks (under a
 * volatile-* policy, such as ElastiCache's default volatile-lru, they are the first to go: the only keys with a
 * TTL), and a redelivered payment would then count twice. REDIS_ALLOW_EVICTION=1 overrides (documented risk).
 */
export async function assertNoEviction(client: RedisClient, settings: Pick<RedisSettings, "redisAllowEviction">): Promise<void> {
  if (settings.redisAllowEviction) return;
  const unsafe = (await evictionPolicies(client)).filter((policy) => policy !== "noeviction");
  if (unsafe.length > 0)
    throw new RedisStartupError(
      "REDIS_EVICTION_POLICY",
      `Redis maxmemory-policy is ${unsafe[0]}: set maxmemory-policy noeviction (an evicted dedupe mark double counts a redelivered payment), ` +
        "or set REDIS_ALLOW_EVICTION=1 to count anyway",
    );
}

export interface StartupCheckOptions {
  /** Ingest and the aggregator refuse to run under an evicting policy; a broadcaster (read only) warns. */
  readonly refuseEviction: boolean;
  /** How long to wait for Redis before carrying on (the checks then run when it is reachable). Default 5 s. */
  readonly waitMs?: number;
  /** Called with a problem found after start (Redis came up later with wrong settings): entry points exit. */
  readonly onLateProblem: (err: RedisStartupError) => void;
  readonly warn: (message: string) => void;
}

/** How long a startup check that failed on a transient error (a connection reset, a timeout) waits before trying again. */
const recheckAfterMs = 1000;

/**
 * For process entry points: throws RedisStartupError when the settings cannot work (credentials, TLS, eviction
 * policy). When Redis is not reachable yet, or a check fails on a transient error (a node resetting the connection
 * while a cluster settles), it returns and runs the same checks once Redis answers; a problem found then goes to
 * onLateProblem. Only a wrong setting stops a component, never a blip at start.
 */
export async function checkRedisAtStart(client: RedisClient, settings: RedisSettings, options: StartupCheckOptions): Promise<void> {
  const policy = async () => {
    try {
      await assertNoEviction(client, settings);
    } catch (err) {
      if (!(err instanceof RedisStartupError) || options.refuseEviction) throw err;
      options.warn(err.message);
    }
  };
  const later = async (): Promise<void> => {
    for (;;) {
      if (!(await awaitRedis(client, 2 ** 31 - 1))) return;
      try {
        return await policy();
      } catch (err) {
        if (err instanceof RedisStartupError) throw err;
        await sleep(recheckAfterMs, undefined, { ref: false });
      }
    }
  };
  const checkLater = () =>
    later().catch((err: unknown) => {
      if (err instanceof RedisStartupError) options.onLateProblem(err);
    });

  if (!(await awaitRedis(client, options.waitMs ?? 5000))) {
    options.warn("Redis is not reachable yet: the credentials and eviction policy are checked once it is");
    checkLater();
    return;
  }
  try {
    await policy();
  } catch (err) {
    if (err instanceof RedisStartupError) throw err;
    options.warn(`the eviction policy could not be read yet (${(err as Error).message}): it is checked again once Redis answers`);
    checkLater();
  }
}
