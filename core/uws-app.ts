// uws.App() for our servers: an exception in any handler is logged and answered 500 instead of crashing the process.

import type * as Uws from "uWebSockets.js";
import { errorBody } from "./errors.js";
import type { Logger } from "./logger.js";
import { fallbackLimitations, routeFallbackOnPath } from "./uws-fallback.js";
import { uws, uwsLoad, uwsTransport } from "./uws-http.js";

/** Answers 500 after a handler threw, if the response is still ours; never throws. */
function answerInternalError(res: Uws.HttpResponse): void {
  try {
    res.cork(() => {
      res.writeStatus("500 Internal Server Error");
      res.writeHeader("Content-Type", "application/json");
      res.writeHeader("Cache-Control", "no-store");
      res.end(errorBody("INTERNAL", "unexpected server error"), true);
    });
  } catch {
    // Already answered, upgraded or closed: nothing more to say.
  }
}

type AnyHandler = (...args: never[]) => unknown;

/** Wraps a callback so an exception is logged instead of reaching uWS (native: process crash) or Node (fallback: crash). */
function guard<F extends AnyHandler>(fn: F, onError: (err: unknown, args: Parameters<F>) => void): F {
  return ((...args: Parameters<F>) => {
    try {
      return fn(...args);
    } catch (err) {
      onError(err, args);
      return undefined;
    }
  }) as F;
}

export interface AppOptions {
  /** The server's name in logs ("broadcaster", "ingest gateway", ...). */
  readonly name: string;
  /** Gets whatever a handler threw (the response is answered 500 when still open), and the fallback warning. */
  readonly logger: Logger;
}

const httpMethods = ["get", "post", "options", "del", "patch", "put", "head", "connect", "trace", "any"] as const;
const wsCallbacks = ["upgrade", "open", "message", "drain", "close", "ping", "pong", "dropped", "subscription"] as const;

/**
 * uws.App() whose handlers cannot crash the process: an exception is logged and answered 500. On the JS fallback it
 * logs what the fallback cannot do, once, and routes on the path without the query (the fallback matches
 * "/v1/total?campaign=x" against "/v1/total" otherwise).
 */
export function createApp(options: AppOptions): Uws.TemplatedApp {
  const { name, logger } = options;
  if (uwsTransport !== "native")
    logger.warn(
      { transport: uwsTransport, uws: uwsLoad.package, skipped: uwsLoad.skipped, limitations: fallbackLimitations },
      `${name} runs on uWebSockets.js's JS fallback`,
    );
  const app = uws.App();
  const onHandlerError = (err: unknown) => logger.error({ err }, `${name} handler failed`);
  const httpError = (err: unknown, args: unknown[]) => {
    onHandlerError(err);
    const res = args[0] as Uws.HttpResponse | undefined;
    if (res) answerInternalError(res);
  };
  const target = app as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const method of httpMethods) {
    if (typeof target[method] !== "function") continue;
    const register = target[method].bind(app);
    target[method] = (pattern: unknown, handler: unknown) => {
      register(pattern, guard(handler as AnyHandler, httpError as never));
      return app;
    };
  }
  const registerWs = target.ws!.bind(app);
  target.ws = (pattern: unknown, behavior: unknown) => {
    const guarded: Record<string, unknown> = { ...(behavior as Record<string, unknown>) };
    for (const name of wsCallbacks) {
      const fn = guarded[name];
      if (typeof fn !== "function") continue;
      guarded[name] = guard(
        fn as AnyHandler,
        ((err: unknown, args: unknown[]) => {
          if (name === "upgrade") httpError(err, args);
          else onHandlerError(err);
        }) as never,
      );
    }
    registerWs(pattern, guarded);
    return app;
  };
  if (uwsTransport !== "native") routeFallbackOnPath(app);
  return app;
}
