// uws.App() for our servers: an exception in any handler is logged and answered 500 instead of crashing the process.

import type * as Uws from "uWebSockets.js";
import { routeFallbackOnPath } from "./uws-fallback.js";
import { uws, uwsTransport } from "./uws-http.js";

function errorBodyOf(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

/** Answers 500 after a handler threw, if the response is still ours; never throws. */
function answerInternalError(res: Uws.HttpResponse): void {
  try {
    res.cork(() => {
      res.writeStatus("500 Internal Server Error");
      res.writeHeader("Content-Type", "application/json");
      res.writeHeader("Cache-Control", "no-store");
      res.end(errorBodyOf("INTERNAL", "unexpected server error"), true);
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
  /** Called with whatever a handler threw (the response is answered 500 when still open). */
  readonly onHandlerError: (err: unknown) => void;
}

const httpMethods = ["get", "post", "options", "del", "patch", "put", "head", "connect", "trace", "any"] as const;
const wsCallbacks = ["upgrade", "open", "message", "drain", "close", "ping", "pong", "dropped", "subscription"] as const;

/**
 * uws.App() whose handlers cannot crash the process: an exception is logged and answered 500. On the JS fallback it
 * also routes on the path without the query (the fallback matches "/v1/total?campaign=x" against "/v1/total" otherwise).
 */
export function createApp(options: AppOptions): Uws.TemplatedApp {
  const app = uws.App();
  const httpError = (err: unknown, args: unknown[]) => {
    options.onHandlerError(err);
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
          else options.onHandlerError(err);
        }) as never,
      );
    }
    registerWs(pattern, guarded);
    return app;
  };
  if (uwsTransport !== "native") routeFallbackOnPath(app);
  return app;
}
