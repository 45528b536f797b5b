// Demo traffic that looks like a sale: log-normal basket sizes, bursts, ~2% refunds, ~1% duplicate deliveries; every
// request retried until acknowledged, so what it acknowledged is exactly what was counted.
import { randomUUID } from "node:crypto";
import type { Logger } from "../core/logger.js";
import { sleep } from "../core/timeout.js";
import { sign } from "../ingest/domain/signature.js";

export interface DemoOptions {
  readonly url: string;
  readonly ratePerSecond: number;
  readonly currency: string;
  readonly secret: string | undefined;
  readonly logger: Logger;
  /** Keep every acknowledged event, as a payment source's export (the fleet, for the drill's reconciliation). */
  readonly record?: boolean;
}

/** A demo event as sent (the event format of POST /v1/payments). */
export type DemoEvent = Record<string, unknown> & { paymentId: string; amount: number; type: "payment" | "refund" };

export interface DemoTraffic {
  stop(): void;
  /** Stops making new payments and waits until every request sent so far is acknowledged (they keep retrying). */
  pause(timeoutMs?: number): Promise<void>;
  resume(): void;
  /** Every event acknowledged so far, once each (with `record`). */
  acknowledged(): DemoEvent[];
}

const channels = ["app", "web", "mobile-web", "kakao"];
const categories = ["outer", "tops", "pants", "shoes", "bags", "accessories", "beauty"];
const tickMs = 100;

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!;
}

/** A basket in KRW: log-normal around ~70,000, rounded to 100 won, as fashion orders are. */
function basketKrw(): number {
  const u = 1 - Math.random();
  const v = Math.random();
  const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return Math.max(1000, Math.round(Math.exp(11.1 + 0.7 * normal) / 100) * 100);
}

/** Requests still retrying past which no new payment is made (a long outage must not pile up memory). */
const maxPending = 200;

export function startDemoTraffic(options: DemoOptions): DemoTraffic {
  const recent: DemoEvent[] = [];
  const acknowledged = new Map<string, DemoEvent>();
  const pending = new Set<Promise<void>>();
  let carry = 0;
  let failures = 0;
  let paused = false;
  let stopped = false;
  const started = Date.now();

  // Each request is sent again until it is acknowledged, as a payment provider's webhook is: the paymentIds make a
  // repeat safe, so everything acknowledged is counted exactly once and the demo's total can be reconciled.
  const sendUntilAcknowledged = async (events: DemoEvent[]): Promise<void> => {
    const body = JSON.stringify({ events });
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (options.secret) headers["x-signature"] = sign(options.secret, body);
    for (let attempt = 0; !stopped; attempt++) {
      if (attempt > 0) await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 5)));
      try {
        const res = await fetch(options.url, { method: "POST", body, headers, signal: AbortSignal.timeout(3000) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        failures = 0;
        if (options.record) for (const e of events) acknowledged.set(e.paymentId, e);
        return;
      } catch (err) {
        if (failures++ % 50 === 0) options.logger.warn({ err: String(err) }, "demo traffic request failed; retrying it");
      }
    }
  };

  const timer = setInterval(() => {
    if (paused || pending.size >= maxPending) return;
    // Bursts: a slow wave plus occasional spikes, like drops of limited items.
    const wave = 1 + 0.6 * Math.sin((Date.now() - started) / 20000);
    const spike = Math.random() < 0.02 ? 5 : 1;
    carry += (options.ratePerSecond * wave * spike * tickMs) / 1000;
    const n = Math.floor(carry);
    carry -= n;
    if (n === 0) return;
    const events: DemoEvent[] = [];
    for (let i = 0; i < n; i++) {
      const roll = Math.random();
      if (roll < 0.01 && recent.length > 0) {
        events.push(pick(recent)); // duplicate delivery of something already sent
      } else if (roll < 0.03 && recent.length > 0) {
        const original = pick(recent);
        events.push({ ...original, paymentId: `refund-${randomUUID()}`, type: "refund", occurredAt: new Date().toISOString() });
      } else {
        const event: DemoEvent = {
          paymentId: `demo-${randomUUID()}`,
          amount: basketKrw(),
          currency: options.currency,
          occurredAt: new Date().toISOString(),
          type: "payment",
          channel: pick(channels),
          category: pick(categories),
        };
        events.push(event);
        recent.push(event);
        if (recent.length > 500) recent.shift();
      }
    }
    const send = sendUntilAcknowledged(events).finally(() => pending.delete(send));
    pending.add(send);
  }, tickMs);

  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
    pause: async (timeoutMs = 60_000) => {
      paused = true;
      const deadline = Date.now() + timeoutMs;
      while (pending.size > 0 && Date.now() < deadline) await Promise.race([...pending, sleep(200)]);
      if (pending.size > 0) throw new Error(`${pending.size} demo requests still unacknowledged after ${timeoutMs} ms`);
    },
    resume: () => {
      paused = false;
    },
    acknowledged: () => [...acknowledged.values()],
  };
}
