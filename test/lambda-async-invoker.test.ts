// Event invocations: run after the 202, retried twice with backoff on error as Lambda does, then given up.
import { describe, expect, it } from "vitest";
import { createLogger } from "../core/logger.js";
import { AsyncInvoker } from "../ingest/local/lambda-invoke-api/async-invoker.js";

const logger = createLogger("test", "silent");

describe("AsyncInvoker", () => {
  it("runs the handler after enqueue returns", async () => {
    const invoker = new AsyncInvoker({ logger, retryBaseMs: 10 });
    const calls: string[] = [];
    invoker.enqueue("fn", "r1", async () => calls.push("ran"), {});
    calls.push("returned");
    await invoker.drain();
    expect(calls).toEqual(["returned", "ran"]);
  });

  it("retries a failing invocation twice with growing delays, then succeeds", async () => {
    const invoker = new AsyncInvoker({ logger, retryBaseMs: 40 });
    const at: number[] = [];
    invoker.enqueue(
      "fn",
      "r2",
      async () => {
        at.push(Date.now());
        if (at.length < 3) throw new Error("passing failure");
      },
      {},
    );
    await invoker.drain();
    expect(at).toHaveLength(3);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(35);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(75);
  });

  it("gives up after three attempts in all", async () => {
    const invoker = new AsyncInvoker({ logger, retryBaseMs: 5 });
    let attempts = 0;
    invoker.enqueue(
      "fn",
      "r3",
      async () => {
        attempts++;
        throw new Error("always");
      },
      {},
    );
    await invoker.drain();
    expect(attempts).toBe(3);
    expect(invoker.pending).toBe(0);
  });

  it("gives up an event older than the maximum age before retrying it, with an EventAgeExceeded record", async () => {
    const records: unknown[] = [];
    const invoker = new AsyncInvoker({ logger, retryBaseMs: 30, onFailure: (r) => records.push(r) });
    let attempts = 0;
    const fail = async () => {
      attempts++;
      throw new Error("passing failure");
    };
    invoker.enqueue("fn", "r5", fail, { a: 1 }, { maxRetries: 2, maxEventAgeMs: 10 });
    await invoker.drain();
    expect(attempts).toBe(1);
    expect(records).toMatchObject([
      { requestContext: { requestId: "r5", condition: "EventAgeExceeded", approximateInvokeCount: 1 }, requestPayload: { a: 1 } },
    ]);
  });

  it("runs a function with maximumRetryAttempts 0 once", async () => {
    const invoker = new AsyncInvoker({ logger, retryBaseMs: 5 });
    let attempts = 0;
    invoker.enqueue(
      "fn",
      "r6",
      async () => {
        attempts++;
        throw new Error("x");
      },
      {},
      { maxRetries: 0, maxEventAgeMs: 60_000 },
    );
    await invoker.drain();
    expect(attempts).toBe(1);
  });

  it("drops waiting retries on close without waiting out their backoff", async () => {
    const invoker = new AsyncInvoker({ logger, retryBaseMs: 60_000 });
    let attempts = 0;
    invoker.enqueue(
      "fn",
      "r4",
      async () => {
        attempts++;
        throw new Error("fails");
      },
      {},
    );
    await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    await invoker.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(attempts).toBe(1);
  });
});
