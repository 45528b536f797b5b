// Payment senders for fault tests: each posts its batches one after another and repeats a batch until every event in
// it is acknowledged (accepted or duplicate), as a payment provider's webhook retries anything not answered 200.

export interface SendStats {
  requests: number;
  /** Requests not acknowledged (an error status, a reset or a timeout) and sent again. */
  retries: number;
  acked: number;
  /** Why the last unacknowledged request was not (status and body, or the error), for a test's failure report. */
  lastFailure?: string;
}

export interface SenderPlan {
  readonly url: string;
  readonly senders: number;
  readonly batchesPerSender: number;
  readonly batchSize: number;
  /** Unique prefix of the paymentIds. */
  readonly prefix: string;
  /** Pause after each acknowledged batch, so the sending lasts through the fault. */
  readonly pauseMs?: number;
}

export interface Sending {
  readonly stats: SendStats;
  /** The sum of every distinct event (each amount differs, so a lost or doubled event shows in the total). */
  readonly expected: bigint;
  readonly events: number;
  readonly done: Promise<void>;
}

async function sendUntilAcked(url: string, events: unknown[], stats: SendStats): Promise<void> {
  for (;;) {
    stats.requests++;
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ events }),
        signal: AbortSignal.timeout(5000),
      });
      if (res.status === 200) {
        const body = (await res.json()) as { accepted: number; duplicates: number };
        if (body.accepted + body.duplicates === events.length) return;
        stats.lastFailure = `200 with ${JSON.stringify(body).slice(0, 300)}`;
      } else stats.lastFailure = `${res.status} ${(await res.text()).slice(0, 300)}`;
    } catch (err) {
      // connection reset or timeout: not acknowledged, send again
      stats.lastFailure = String(err);
    }
    stats.retries++;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function startSenders(plan: SenderPlan): Sending {
  const stats: SendStats = { requests: 0, retries: 0, acked: 0 };
  let expected = 0n;
  const batches = Array.from({ length: plan.senders }, (_, s) =>
    Array.from({ length: plan.batchesPerSender }, (_, b) =>
      Array.from({ length: plan.batchSize }, (_, i) => {
        const amount = 1_000 + s * 100_000 + b * 100 + i;
        expected += BigInt(amount);
        return { paymentId: `${plan.prefix}-${s}-${b}-${i}`, amount, currency: "KRW", occurredAt: new Date().toISOString() };
      }),
    ),
  );
  const done = Promise.all(
    batches.map(async (own) => {
      for (const batch of own) {
        await sendUntilAcked(plan.url, batch, stats);
        stats.acked += batch.length;
        if (plan.pauseMs) await new Promise((r) => setTimeout(r, plan.pauseMs));
      }
    }),
  ).then(() => undefined);
  return { stats, expected, events: plan.senders * plan.batchesPerSender * plan.batchSize, done };
}
