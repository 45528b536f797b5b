// What the broadcaster tells the dashboard page about the campaign (config values, in <body data-settings>).

export interface DashboardSettings {
  readonly campaign: string;
  /** Minor units, decimal string. */
  readonly goal: string | null;
  readonly milestoneStep: string | null;
  readonly previousCampaign: string | null;
  /** ISO-8601. */
  readonly campaignStart: string | null;
  readonly campaignEnd: string | null;
  /** IANA zone of every clock and axis. */
  readonly timeZone: string;
  readonly channelLabels: Readonly<Record<string, string>>;
  readonly categoryLabels: Readonly<Record<string, string>>;
  readonly staleAfterMs: number;
}

export function readSettings(body: HTMLElement): DashboardSettings {
  const raw = JSON.parse(body.dataset.settings ?? "{}") as Partial<DashboardSettings>;
  return {
    campaign: raw.campaign ?? "",
    goal: raw.goal ?? null,
    milestoneStep: raw.milestoneStep ?? null,
    previousCampaign: raw.previousCampaign ?? null,
    campaignStart: raw.campaignStart ?? null,
    campaignEnd: raw.campaignEnd ?? null,
    timeZone: raw.timeZone ?? "Asia/Seoul",
    channelLabels: raw.channelLabels ?? {},
    categoryLabels: raw.categoryLabels ?? {},
    staleAfterMs: raw.staleAfterMs ?? 5000,
  };
}
