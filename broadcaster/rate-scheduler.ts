// Per-viewer rates: viewers of one campaign, view and rate are split into phases, and each fold tick writes to the
// phases due, so a viewer gets at most `hz` frames a second, always the latest one, and lower rates mean smaller bursts.
//
// Writing one frame to N sockets costs time in proportion to N (the kernel's send dominates), so what decides latency
// is the burst: 10,000 viewers at 2 Hz in 5 phases are 2,000 sockets per tick, not 10,000 every fifth tick.
// A rate at or above the fold rate gets every tick (the fold already caps it). A lower rate spans P = ceil(interval /
// fold) ticks, so it never gets more than `hz` frames a second (6-9 Hz get 5 with the default 100 ms fold; 1, 2, 5 and
// 10 Hz are exact). Phases follow the count of snapshots received (fold ticks), not the clock, so they stay spread
// however the ticks drift. A group is written on its phase's tick (at least half an interval after its last frame, so
// a group that had to catch up falls back into its phase within one interval), and whenever its interval has passed by
// half a fold, at a tick or from the timer (a quiet sale publishes only heartbeats): the frame a viewer has is never
// older than one interval plus one fold, and in steady state it gets exactly one frame per P ticks.
import type { SnapshotEntry } from "./snapshot-store.js";
import { type ViewEntry, type ViewName, viewOf } from "./views.js";

export interface RateGroup {
  readonly key: string;
  readonly campaign: string;
  readonly view: ViewName;
  readonly hz: number;
  readonly phase: number;
}

interface GroupState extends RateGroup {
  members: number;
  lastSentAtMs: number;
  last: ViewEntry | undefined;
}

interface CampaignState {
  ticks: number;
  latest: SnapshotEntry | undefined;
  groups: Map<string, GroupState>;
  /** Round-robin phase assignment per view and rate, so phases hold about as many viewers each. */
  nextPhase: Map<string, number>;
}

export type GroupSender = (group: RateGroup, frame: ViewEntry) => void;

export class RateScheduler {
  private readonly campaigns = new Map<string, CampaignState>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly foldIntervalMs: number,
    private readonly sendToGroup: GroupSender,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => this.catchUp(), Math.max(10, foldIntervalMs / 2));
    this.timer.unref();
  }

  /** Phases of a rate: how many fold ticks one interval spans, rounded up (at least one). */
  phasesOf(hz: number): number {
    return Math.max(1, Math.ceil(1000 / hz / this.foldIntervalMs - 1e-9));
  }

  /** A new viewer: its group (campaign, view, rate, phase); call leave() when it goes. */
  join(campaign: string, view: ViewName, hz: number): RateGroup {
    const state = this.campaign(campaign);
    const rateKey = `${view}/${hz}`;
    const phase = (state.nextPhase.get(rateKey) ?? 0) % this.phasesOf(hz);
    state.nextPhase.set(rateKey, phase + 1);
    const key = `${campaign}/${view}/${hz}/${phase}`;
    let group = state.groups.get(key);
    if (group === undefined) {
      // The joining viewer gets the latest directly on open (welcome): the group's first tick is then its own phase's.
      group = { key, campaign, view, hz, phase, members: 0, lastSentAtMs: this.now(), last: undefined };
      state.groups.set(key, group);
    }
    group.members++;
    return group;
  }

  leave(group: RateGroup): void {
    const state = this.campaigns.get(group.campaign)?.groups.get(group.key);
    if (state && state.members > 0) state.members--;
  }

  /**
   * The frame a viewer that just joined `group` gets at once: the latest when it is the group's only member (the group
   * then counts it as written, so the catch-up timer does not write the same frame to it a second time), otherwise what
   * the group got last, so the next frame it is written is newer and a topic subscriber never gets one twice.
   */
  welcome(group: RateGroup): ViewEntry | undefined {
    const state = this.campaigns.get(group.campaign);
    const current = state?.groups.get(group.key);
    if (state?.latest === undefined || current === undefined) return undefined;
    if (current.members <= 1 || current.last === undefined) {
      current.last = viewOf(state.latest, current.view);
      current.lastSentAtMs = this.now();
    }
    return current.last;
  }

  /** The frame last written to a group (what a socket that missed it because of backpressure should get). */
  lastFrame(group: RateGroup): ViewEntry | undefined {
    return this.campaigns.get(group.campaign)?.groups.get(group.key)?.last;
  }

  /** A new latest snapshot (one fold tick): writes it to every group whose phase is due. */
  onSnapshot(entry: SnapshotEntry): void {
    const state = this.campaign(entry.snapshot.campaign);
    const tick = state.ticks++;
    state.latest = entry;
    const now = this.now();
    for (const group of state.groups.values()) {
      if (group.members === 0) continue;
      const phases = this.phasesOf(group.hz);
      // Every tick: even two ticks that arrive together (after a long burst) both go out, as without a rate.
      if (phases === 1) {
        this.send(group, entry, now);
        continue;
      }
      const intervalMs = 1000 / group.hz;
      const gap = now - group.lastSentAtMs;
      const inPhase = tick % phases === group.phase && gap >= intervalMs / 2;
      if (inPhase || gap >= intervalMs + this.foldIntervalMs / 2) this.send(group, entry, now);
    }
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** Between ticks: a group overdue by half a fold that lacks the latest gets it now. */
  private catchUp(): void {
    const now = this.now();
    for (const state of this.campaigns.values()) {
      const latest = state.latest;
      if (latest === undefined) continue;
      for (const group of state.groups.values()) {
        if (group.members === 0 || group.last?.etag === viewOf(latest, group.view).etag) continue;
        if (now - group.lastSentAtMs >= 1000 / group.hz + this.foldIntervalMs / 2) this.send(group, latest, now);
      }
    }
  }

  private send(group: GroupState, entry: SnapshotEntry, now: number): void {
    const frame = viewOf(entry, group.view);
    group.lastSentAtMs = now;
    group.last = frame;
    this.sendToGroup(group, frame);
  }

  private campaign(campaign: string): CampaignState {
    let state = this.campaigns.get(campaign);
    if (state === undefined) {
      state = { ticks: 0, latest: undefined, groups: new Map(), nextPhase: new Map() };
      this.campaigns.set(campaign, state);
    }
    return state;
  }
}
