// The campaign name rule, for every place a name comes in (config, payment events, ?campaign=): it also keeps
// outside input out of Redis key names.

export const campaignPattern = /^[A-Za-z0-9_-]{1,64}$/;
export const campaignRule = "must be 1-64 characters of [A-Za-z0-9_-]";

export function isCampaignName(value: string): boolean {
  return campaignPattern.test(value);
}
