import { describe, expect, it } from "vitest";
import { createLogger } from "../core/logger.js";
import { startGateway } from "../ingest/local/api-gateway.js";

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("ingest gateway shutdown", () => {
  it("answers a request already in flight before close() resolves, and accepts no new connection after", async () => {
    const handlerStarted = deferred();
    const releaseHandler = deferred();
    const gateway = await startGateway({
      host: "127.0.0.1",
      port: 0,
      logger: createLogger("test", "silent"),
      handler: async () => {
        handlerStarted.resolve();
        await releaseHandler.promise;
        return { statusCode: 200, headers: { "content-type": "application/json" }, body: '{"accepted":1,"duplicates":0,"rejected":[]}' };
      },
    });
    const url = `http://127.0.0.1:${gateway.port}/v1/payments`;
    const inFlight = fetch(url, { method: "POST", body: "{}" });
    await handlerStarted.promise;

    let closed = false;
    const closing = gateway.close().then(() => {
      closed = true;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(false); // close() waits for the handler still running

    releaseHandler.resolve();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    await closing;
    expect(closed).toBe(true);
    await expect(fetch(url, { method: "POST", body: "{}", headers: { connection: "close" } })).rejects.toThrow();
  });
});
