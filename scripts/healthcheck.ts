// Container health check (`node dist/healthcheck.js [component]`): exit 0 when the component's /healthz answers 200 on
// this host. Without a component it probes each one the image can run and passes if any answers (Docker's HEALTHCHECK
// cannot see which command the container was started with); ECS task definitions name the component.
import { loadConfigOrExit } from "../core/config.js";

const config = loadConfigOrExit();
const ports: Record<string, number | undefined> = {
  ingest: config.ingestPort,
  broadcaster: config.broadcasterPort,
  aggregator: config.aggregatorPort,
};
const wanted = process.argv[2];
if (wanted !== undefined && !(wanted in ports)) {
  process.stderr.write(`healthcheck: unknown component "${wanted}"; expected one of ${Object.keys(ports).join(", ")}\n`);
  process.exit(2);
}

async function healthy(name: string, port: number | undefined): Promise<boolean> {
  if (port === undefined) return false;
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    if (!res.ok) process.stderr.write(`healthcheck: ${name} answered ${res.status}\n`);
    return res.ok;
  } catch (err) {
    if (wanted !== undefined) process.stderr.write(`healthcheck: ${name} on :${port}: ${String(err)}\n`);
    return false;
  }
}

const names = wanted === undefined ? Object.keys(ports) : [wanted];
const results = await Promise.all(names.map((name) => healthy(name, ports[name])));
process.exit(results.some(Boolean) ? 0 : 1);
