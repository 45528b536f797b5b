// `npm run fleet` as an engineer runs it: the table of what runs where, HAProxy on FLEET_PORT routing payments to the
// ingest gateways and everything else to the broadcasters, demo traffic through it, the control API the drill attaches
// to, and Ctrl-C leaving nothing running.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { freePort } from "../core/free-port.js";
import { eventually } from "./support/pipeline.js";

const root = join(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "sc-fleet-"));
let child: ChildProcess | undefined;
afterAll(() => {
  // Whatever of the fleet a failed run left behind.
  if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(-child.pid, "SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

it("brings up the fleet behind HAProxy with demo traffic, and Ctrl-C stops every process", async () => {
  const [fleetPort, controlPort] = [await freePort(), await freePort()];
  let output = "";
  child = spawn("npm", ["run", "fleet"], {
    cwd: root,
    env: {
      ...process.env,
      FLEET_PORT: String(fleetPort),
      FLEET_CONTROL_PORT: String(controlPort),
      FLEET_DIR: dir,
      DEMO_RATE: "40",
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, as a terminal runs it: Ctrl-C is SIGINT to that whole group.
    detached: true,
  });
  child.stdout?.on("data", (d) => {
    output += String(d);
  });
  child.stderr?.on("data", (d) => {
    output += String(d);
  });
  await eventually(async () => (output.includes("Ctrl-C stops everything") ? true : undefined), 90_000, `the fleet table:\n${output}`);
  for (const name of [
    "ingest-1",
    "ingest-2",
    "aggregator-1",
    "aggregator-2",
    "broadcaster-1",
    "broadcaster-2",
    "broadcaster-3",
    "haproxy",
    "prometheus",
  ])
    expect(output).toMatch(new RegExp(`^${name}\\s+\\d+\\s+127\\.0\\.0\\.1:\\d+`, "m"));
  expect(output.match(/^redis \d+ +\d+ +127\.0\.0\.1:\d+ +replica of :\d+$/gm)).toHaveLength(3);
  expect(output).toMatch(/^aggregator-\d\s+\d+\s+\S+\s+leader$/m);
  const base = `http://127.0.0.1:${fleetPort}`;

  // Demo traffic reaches the total, through HAProxy; pages and a payment take their documented routes.
  const first = (await (await fetch(`${base}/v1/total?view=counter`)).json()) as { total: string; count: number };
  const later = await eventually(
    async () => {
      const s = (await (await fetch(`${base}/v1/total?view=counter`)).json()) as { count: number };
      return s.count > first.count ? s : undefined;
    },
    10_000,
    "demo payments counted",
  );
  expect(later.count).toBeGreaterThan(first.count);
  for (const path of ["/", "/widget.js", "/dashboard", "/readyz", "/v1/history", "/v1/milestones"])
    expect([200, 403], path).toContain((await fetch(`${base}${path}`)).status);
  const paid = await fetch(`${base}/v1/payments`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ paymentId: `fleet-${Date.now()}`, amount: 129000, currency: "KRW", occurredAt: new Date().toISOString() }),
  });
  expect(await paid.json()).toMatchObject({ accepted: 1, duplicates: 0 });

  // The control API the drill attaches to: every process by name; a bad request gets a code and changes nothing.
  const control = `http://127.0.0.1:${controlPort}`;
  expect(output).toContain(`Control API     ${control}/fleet`);
  const described = (await (await fetch(`${control}/fleet`)).json()) as {
    redis: unknown[];
    components: Array<{ name: string }>;
    demo: boolean;
  };
  expect(described.redis).toHaveLength(6);
  expect(described.components.map((c) => c.name).sort()).toEqual(
    ["aggregator-1", "aggregator-2", "broadcaster-1", "broadcaster-2", "broadcaster-3", "ingest-1", "ingest-2"].sort(),
  );
  expect(described.demo).toBe(true);
  const post = (path: string, body: string) => fetch(`${control}${path}`, { method: "POST", body });
  const unknown = await post("/processes/nope/start", "{}");
  expect([unknown.status, ((await unknown.json()) as { error: { code: string } }).error.code]).toEqual([404, "UNKNOWN_PROCESS"]);
  const badSignal = await post("/processes/broadcaster-1/signal", '{"signal":"SIGHUP"}');
  expect([badSignal.status, ((await badSignal.json()) as { error: { code: string } }).error.code]).toEqual([400, "INVALID_SIGNAL"]);
  const badJson = await post("/processes/broadcaster-1/signal", "not json");
  expect([badJson.status, ((await badJson.json()) as { error: { code: string } }).error.code]).toEqual([400, "INVALID_JSON"]);

  const pids = [...output.matchAll(/^\S+(?: \d+)?\s+(\d+)\s+127\.0\.0\.1:\d+/gm)].map((m) => Number(m[1]));
  expect(pids.length).toBe(15);
  // Every process of the fleet is in the process group of `npm run fleet`.
  const group = child.pid!;
  for (const pid of pids) expect(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ")[2], `pid ${pid}`).toBe(String(group));
  process.kill(-group, "SIGINT"); // Ctrl-C
  await new Promise((resolve) => child?.once("exit", resolve));
  await eventually(async () => (pids.every((pid) => !alive(pid)) ? true : undefined), 15_000, "every fleet process gone");
}, 150_000);
