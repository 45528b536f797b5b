// The payment event: schema, and validation that names the field and rule of every rejection.
import { z } from "zod";
import { campaignPattern, campaignRule } from "../../core/campaign.js";

export const maxAmount = 1_000_000_000_000;
const namePattern = /^[A-Za-z0-9_.-]{1,40}$/;

const eventSchema = z.object({
  paymentId: z
    .string({ error: "must be a string" })
    .min(1, "must not be empty")
    .max(128, "must be at most 128 characters")
    .regex(/^[A-Za-z0-9_.:-]+$/, "may contain only A-Z a-z 0-9 _ . : -"),
  amount: z
    .number({ error: "must be a number (an integer in minor units, not a string)" })
    .int("must be an integer in minor units (no fractions)")
    .positive("must be greater than 0")
    .max(maxAmount, `must be at most ${maxAmount}`),
  currency: z.string({ error: "must be a string" }).regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as KRW"),
  occurredAt: z.iso.datetime({ offset: true, error: "must be an ISO-8601 timestamp such as 2020-11-27T00:00:01.100Z" }),
  type: z.enum(["payment", "refund"], { error: 'must be "payment" or "refund"' }).default("payment"),
  campaign: z.string({ error: "must be a string" }).regex(campaignPattern, campaignRule).optional(),
  channel: z.string({ error: "must be a string" }).regex(namePattern, "must be 1-40 chars of A-Z a-z 0-9 _ . -").optional(),
  category: z.string({ error: "must be a string" }).regex(namePattern, "must be 1-40 chars of A-Z a-z 0-9 _ . -").optional(),
});

export interface PaymentEvent {
  readonly paymentId: string;
  readonly amount: number;
  readonly currency: string;
  readonly occurredAt: string;
  readonly type: "payment" | "refund";
  readonly campaign: string;
  readonly channel: string | undefined;
  readonly category: string | undefined;
}

export interface Rejection {
  readonly code: string;
  readonly message: string;
}

export interface CampaignRules {
  readonly campaign: string;
  readonly currency: string;
}

const fieldCodes: Record<string, string> = {
  paymentId: "INVALID_PAYMENT_ID",
  amount: "INVALID_AMOUNT",
  currency: "INVALID_CURRENCY",
  occurredAt: "INVALID_OCCURRED_AT",
  type: "INVALID_TYPE",
  campaign: "INVALID_CAMPAIGN",
  channel: "INVALID_CHANNEL",
  category: "INVALID_CATEGORY",
};

export type Validated = { ok: true; event: PaymentEvent } | { ok: false; rejection: Rejection };

/** Validates one raw event against the schema and the campaign rules (currency, campaign). */
export function validateEvent(raw: unknown, rules: CampaignRules): Validated {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { ok: false, rejection: { code: "INVALID_EVENT", message: "event: must be a JSON object" } };
  }
  const parsed = eventSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0] ?? "event");
    const value = (raw as Record<string, unknown>)[field];
    if (value === undefined) {
      return { ok: false, rejection: { code: "MISSING_FIELD", message: `${field}: is required` } };
    }
    return { ok: false, rejection: { code: fieldCodes[field] ?? "INVALID_EVENT", message: `${field}: ${issue.message}` } };
  }
  const e = parsed.data;
  if (e.currency !== rules.currency) {
    return {
      ok: false,
      rejection: {
        code: "WRONG_CURRENCY",
        message: `currency: must be ${rules.currency} for this campaign, got ${e.currency} (events are not converted)`,
      },
    };
  }
  const campaign = e.campaign ?? rules.campaign;
  if (campaign !== rules.campaign) {
    return {
      ok: false,
      rejection: { code: "UNKNOWN_CAMPAIGN", message: `campaign: this endpoint counts "${rules.campaign}", got "${campaign}"` },
    };
  }
  return {
    ok: true,
    event: {
      paymentId: e.paymentId,
      amount: e.amount,
      currency: e.currency,
      occurredAt: e.occurredAt,
      type: e.type,
      campaign,
      channel: e.channel,
      category: e.category,
    },
  };
}
