// The Lua scripts as ioredis commands: registered once per connection under their versioned names, called through
// one typed function each. Negative script results become typed errors in the store module that calls them.
import type { RedisClient } from "../redis.js";
import { luaScripts } from "./lua-scripts.generated.js";

export type ScriptName = keyof typeof luaScripts;

const registered = new WeakMap<RedisClient, Set<ScriptName>>();

function define(client: RedisClient, names: readonly ScriptName[]): RedisClient {
  let done = registered.get(client);
  if (!done) {
    done = new Set();
    registered.set(client, done);
  }
  for (const name of names) {
    if (done.has(name)) continue;
    const script = luaScripts[name];
    client.defineCommand(script.command, { lua: script.lua, numberOfKeys: script.numberOfKeys });
    done.add(name);
  }
  return client;
}

const productionScripts = (Object.keys(luaScripts) as ScriptName[]).filter((name) => !luaScripts[name].reference);
const referenceScripts = (Object.keys(luaScripts) as ScriptName[]).filter((name) => luaScripts[name].reference);

/** Registers every production script on a client once; safe to call repeatedly (runScript also does it on first use). */
export function registerScripts(client: RedisClient): RedisClient {
  return define(client, productionScripts);
}

/** Also registers the reference scripts (reference/*.lua): for tests and benchmarks only. */
export function registerReferenceScripts(client: RedisClient): RedisClient {
  return define(registerScripts(client), referenceScripts);
}

/** The ioredis command name a script runs under on this build (tests that intercept calls use it). */
export function commandOf(name: ScriptName): string {
  return luaScripts[name].command;
}

type Arg = string | number;

/**
 * ioredis copies a client's scripts into each auto-pipeline when it creates it, so one created earlier in this tick
 * lacks commands defined now; it is sent on the next tick. Registers what is missing and, if anything was, waits a turn.
 */
async function ensureRegistered(client: RedisClient, names: readonly ScriptName[]): Promise<void> {
  const done = registered.get(client);
  if (names.every((name) => done?.has(name))) return;
  define(client, names);
  await new Promise((resolve) => setImmediate(resolve));
}

/** registerReferenceScripts for a call about to be made in this tick (see ensureRegistered). */
export function ensureReferenceScripts(client: RedisClient): Promise<void> {
  return ensureRegistered(client, [...productionScripts, ...referenceScripts]);
}

/**
 * Runs a script: keys then args for a script with a fixed key count, the key count first otherwise (ioredis's
 * convention for defineCommand without numberOfKeys). The store's classes register the production scripts when
 * they are built; a client that skipped that gets them on first use.
 */
export async function runScript<T>(client: RedisClient, name: ScriptName, keys: readonly string[], args: readonly Arg[]): Promise<T> {
  const script = luaScripts[name];
  if (script.numberOfKeys !== undefined && keys.length !== script.numberOfKeys)
    throw new RangeError(`${script.file} takes ${script.numberOfKeys} keys, got ${keys.length}`);
  if (!registered.get(client)?.has(name)) {
    if (script.reference) throw new Error(`${script.file} is a reference script: call registerReferenceScripts() first`);
    await ensureRegistered(client, productionScripts);
  }
  const command = (client as unknown as Record<string, (...a: Arg[]) => Promise<T>>)[script.command];
  if (command === undefined) throw new Error(`script ${script.command} is not registered on this client`);
  const head: Arg[] = script.numberOfKeys === undefined ? [keys.length] : [];
  return command.call(client, ...head, ...keys, ...args);
}

/** A pipeline (or MULTI) of one client: its scripts are copied from the client when it is created. */
export type ScriptPipeline = ReturnType<RedisClient["pipeline"]>;

/** Queues a script on a pipeline of a client the scripts are registered on (see runScript for the argument layout). */
export function queueScript(pipeline: ScriptPipeline, name: ScriptName, keys: readonly string[], args: readonly Arg[]): void {
  const script = luaScripts[name];
  const command = (pipeline as unknown as Record<string, (...a: Arg[]) => unknown>)[script.command];
  if (command === undefined) throw new Error(`script ${script.command} is not registered on this pipeline's client`);
  const head: Arg[] = script.numberOfKeys === undefined ? [keys.length] : [];
  command.call(pipeline, ...head, ...keys, ...args);
}
