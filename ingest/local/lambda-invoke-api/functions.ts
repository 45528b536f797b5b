// The functions the local Invoke API serves, by short name or deployed name (sales-counter-<stage>-<name>, or an ARN).

import type { IngestRuntime } from "../../domain/runtime.js";
import { createEventHandler } from "../../handlers/ingest-event.js";
import { createHttpHandler } from "../../handlers/ingest-http.js";
import { createQueueHandler } from "../../handlers/ingest-queue.js";
import { createStreamHandler } from "../../handlers/ingest-stream.js";
import { type AsyncPolicy, lambdaAsyncDefaults } from "./async-invoker.js";

export const serviceName = "sales-counter";
export const functionNames = ["ingestHttp", "ingestQueue", "ingestStream", "ingestEvent"] as const;
export type FunctionName = (typeof functionNames)[number];

/**
 * ingestEvent's asynchronous invocation settings, the same as serverless.yml's maximumRetryAttempts / maximumEventAge
 * (test/serverless-package checks that the template says so). The other functions keep Lambda's defaults.
 */
export const eventFunctionAsync = { maximumRetryAttempts: 2, maximumEventAgeSeconds: 3600 } as const;

/** What a local invocation gets as its context: Lambda's request id and remaining time. */
export interface LocalContext {
  readonly awsRequestId: string;
  getRemainingTimeInMillis(): number;
}

// The Invoke API passes any JSON; each handler checks the shape of what it gets and throws a clear error otherwise.
// biome-ignore lint/suspicious/noExplicitAny: the event is untyped JSON from the wire
export type InvokeHandler = (event: any, context?: LocalContext) => Promise<unknown>;

export interface ResolvedFunction {
  /** An ingest function's canonical name, or an extra (local stand-in) function's own name. */
  readonly name: FunctionName | string;
  readonly deployedName: string;
  readonly handler: InvokeHandler;
  readonly asyncPolicy: AsyncPolicy;
}

export interface FunctionRegistry {
  /** The handler and its canonical name, or undefined when no such function exists. */
  resolve(requested: string): ResolvedFunction | undefined;
}

/**
 * The ingest functions, plus `extra` functions by name: local stand-ins for functions of other systems that the
 * pipeline invokes (a test's milestone receiver, say). They exist only in this emulator, never in a deployment.
 */
export function createFunctionRegistry(runtime: IngestRuntime, extra: Readonly<Record<string, InvokeHandler>> = {}): FunctionRegistry {
  const getRuntime = () => runtime;
  const handlers: Record<FunctionName, InvokeHandler> = {
    ingestHttp: createHttpHandler(getRuntime),
    ingestQueue: createQueueHandler(getRuntime),
    ingestStream: createStreamHandler(getRuntime),
    ingestEvent: createEventHandler(getRuntime),
  };
  const eventPolicy: AsyncPolicy = {
    maxRetries: eventFunctionAsync.maximumRetryAttempts,
    maxEventAgeMs: eventFunctionAsync.maximumEventAgeSeconds * 1000,
  };
  const prefix = `${serviceName}-${runtime.config.stage}-`;
  return {
    resolve(requested) {
      // arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>] or <name>[:<qualifier>]
      const arn = /^arn:aws[a-z-]*:lambda:[^:]*:\d*:function:(.+)$/.exec(requested);
      const withQualifier = arn?.[1] ?? requested;
      const [plain = "", qualifier] = withQualifier.split(":");
      if (qualifier !== undefined && qualifier !== "$LATEST") return undefined;
      const short = plain.startsWith(prefix) ? plain.slice(prefix.length) : plain;
      const name = functionNames.find((n) => n === short);
      if (name) {
        const asyncPolicy = name === "ingestEvent" ? eventPolicy : lambdaAsyncDefaults;
        return { name, deployedName: `${prefix}${name}`, handler: handlers[name], asyncPolicy };
      }
      const other = Object.hasOwn(extra, plain) ? extra[plain] : undefined;
      return other && { name: plain, deployedName: plain, handler: other, asyncPolicy: lambdaAsyncDefaults };
    },
  };
}
