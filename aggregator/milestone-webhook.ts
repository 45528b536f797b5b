// Milestone notification: POSTs a reached milestone as JSON to MILESTONE_WEBHOOK_URL, a few times with backoff.
// Only the aggregator whose HSETNX recorded the milestone calls this, so each milestone is sent by one process.
import type { Logger } from "../core/logger.js";
import { sleep } from "../core/timeout.js";
import type { Milestone } from "./milestones.js";

const attempts = 3;
const timeoutMs = 5000;

export function milestoneWebhook(url: string, campaign: string, logger: Logger): (milestone: Milestone) => void {
  return (milestone) => {
    void send(url, JSON.stringify({ type: "milestone", campaign, ...milestone }), logger);
  };
}

async function send(url: string, body: string, logger: Logger): Promise<void> {
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (res.ok) return;
      logger.warn({ status: res.status, attempt }, "milestone webhook answered an error");
    } catch (err) {
      logger.warn({ err, attempt }, "milestone webhook failed");
    }
    await sleep(500 * 2 ** attempt, undefined, { ref: false });
  }
}
