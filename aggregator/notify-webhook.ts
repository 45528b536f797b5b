// Milestone delivery to MILESTONE_WEBHOOK_URL: one JSON POST, with the idempotency key also as Idempotency-Key header
// (the header the IETF httpapi draft and payment APIs use), so a receiver can drop a repeat. Any 2xx acknowledges.
import type { MilestoneSender } from "./milestone-payload.js";

export function webhookSender(url: string): MilestoneSender {
  return {
    target: "webhook",
    async deliver(payload, signal) {
      const res = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "idempotency-key": payload.idempotencyKey,
          "user-agent": "sales-counter-aggregator",
        },
        body: JSON.stringify(payload),
        signal,
      });
      // The answer's body is not used; reading it frees the connection for reuse.
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) throw new Error(`webhook answered HTTP ${res.status}`);
    },
    close() {},
  };
}
