// Demo traffic that looks like a sale: log-normal basket sizes, bursts, ~2% refunds, ~1% duplicate deliveries.
import { randomUUID } from "node:crypto";
import type { Logger } from "../core/logger.js";
import { sign } from "../ingest/domain/signature.js";

export interface DemoOptions {
  readonly url: string;
  readonly ratePerSecond: number;
  readonly currency: string;
  readonly secret: string | undefined;
  readonly logger: Logger;
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

export function startDemoTraffic(options: DemoOptions): { stop(): void } {
  const recent: Array<Record<string, unknown>> = [];
  let carry = 0;
  let failures = 0;
  const started = Date.now();
  const timer = setInterval(() => {
    // Bursts: a slow wave plus occasional spikes, like drops of limited items.
    const wave = 1 + 0.6 * Math.sin((Date.now() - started) / 20000);
    const spike = Math.random() < 0.02 ? 5 : 1;
    carry += (options.ratePerSecond * wave * spike * tickMs) / 1000;
    const n = Math.floor(carry);
    carry -= n;
    if (n === 0) return;
    const events: Array<Record<string, unknown>> = [];
    for (let i = 0; i < n; i++) {
      const roll = Math.random();
      if (roll < 0.01 && recent.length > 0) {
        events.push(pick(recent)); // duplicate delivery of something already sent
      } else if (roll < 0.03 && recent.length > 0) {
        const original = pick(recent);
        events.push({ ...original, paymentId: `refund-${randomUUID()}`, type: "refund", occurredAt: new Date().toISOString() });
      } else {
        const event = {
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
    const body = JSON.stringify({ events });
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (options.secret) headers["x-signature"] = sign(options.secret, body);
    fetch(options.url, { method: "POST", body, headers })
      .then((res) => {
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        failures = 0;
      })
      .catch((err: unknown) => {
        if (failures++ % 50 === 0) options.logger.warn({ err: String(err) }, "demo traffic request failed");
      });
  }, tickMs);
  return { stop: () => clearInterval(timer) };
}
