// A failed container init is not fatal: the error is answered at once, and init runs again no sooner than a second later.
import { describe, expect, it } from "vitest";
import { coldStart } from "../ingest/handlers/cold-start.js";

describe("coldStart", () => {
  it("starts at once, hands every caller the same result, and retries a failure only after the interval", async () => {
    let clock = 0;
    let runs = 0;
    const get = coldStart(
      async () => {
        runs++;
        if (runs === 1) throw new Error("SSM throttled");
        return "ready";
      },
      1000,
      () => clock,
    );
    await expect(get()).rejects.toThrow("SSM throttled");
    clock = 999;
    await expect(get()).rejects.toThrow("SSM throttled");
    expect(runs).toBe(1);
    clock = 1000;
    await expect(get()).resolves.toBe("ready");
    await expect(get()).resolves.toBe("ready");
    expect(runs).toBe(2);
  });
});
