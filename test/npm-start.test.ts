import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Snapshot } from "../core/snapshot.js";
import { freePort } from "./support/redis-server.js";

const dataDir = mkdtempSync(join(tmpdir(), "sc-start-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function poll<T>(fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("npm start", () => {
  it("runs the whole pipeline with demo traffic, counts a posted payment, and stops cleanly on SIGTERM", async () => {
    const [ingestPort, lambdaPort, broadcasterPort] = [await freePort(), await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      INGEST_PORT: String(ingestPort),
      LAMBDA_PORT: String(lambdaPort),
      BROADCASTER_PORT: String(broadcasterPort),
    };
    delete env.REDIS_URL;
    delete env.REDIS_CLUSTER_NODES;
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
      env: { ...env, DATA_DIR: dataDir, DEMO_RATE: "200", LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => {
      output += String(d);
    });
    child.stderr.on("data", (d) => {
      output += String(d);
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      const total = `http://127.0.0.1:${broadcasterPort}/v1/total`;
      // Demo traffic makes the total climb.
      const first = await poll(async () => {
        const s = (await (await fetch(total)).json()) as Snapshot;
        return s.count > 0 ? s : undefined;
      }, 30000);
      await poll(async () => {
        const s = (await (await fetch(total)).json()) as Snapshot;
        return s.count > first.count ? s : undefined;
      }, 5000);
      expect(output).toContain(`http://localhost:${broadcasterPort}/v1/total`);

      // The README curl example is accepted; the embedded Redis keeps its AOF under DATA_DIR.
      const res = await fetch(`http://127.0.0.1:${ingestPort}/v1/payments`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ paymentId: "readme-1", amount: 129000, currency: "KRW", occurredAt: new Date().toISOString() }),
      });
      expect(await res.json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
      expect(readdirSync(join(dataDir, "redis")).length).toBeGreaterThan(0);
    } finally {
      child.kill("SIGTERM");
    }
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r("timeout"), 15000))]);
    expect(code).toBe(0);
  }, 60000);
});
