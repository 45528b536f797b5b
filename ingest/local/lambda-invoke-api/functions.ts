// The functions the local Invoke API serves, by short name or deployed name (sales-counter-<stage>-<name>, or an ARN).

import type { IngestRuntime } from "../../domain/runtime.js";
import { createHttpHandler } from "../../handlers/ingest-http.js";
import { createQueueHandler } from "../../handlers/ingest-queue.js";
import { createStreamHandler } from "../../handlers/ingest-stream.js";

export const serviceName = "sales-counter";
export const functionNames = ["ingestHttp", "ingestQueue", "ingestStream"] as const;
export type FunctionName = (typeof functionNames)[number];

// The Invoke API passes any JSON; each handler checks the shape of what it gets and throws a clear error otherwise.
// biome-ignore lint/suspicious/noExplicitAny: the event is untyped JSON from the wire
export type InvokeHandler = (event: any) => Promise<unknown>;

export interface FunctionRegistry {
  /** The handler and its canonical name, or undefined when no such function exists. */
  resolve(requested: string): { name: string; deployedName: string; handler: InvokeHandler } | undefined;
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
      if (name) return { name, deployedName: `${prefix}${name}`, handler: handlers[name] };
      const other = Object.hasOwn(extra, plain) ? extra[plain] : undefined;
      return other && { name: plain, deployedName: plain, handler: other };
    },
  };
}
