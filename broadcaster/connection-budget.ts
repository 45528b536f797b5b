// Counts long-lived viewer connections (WS now, SSE later) against config.maxConnections.

export class ConnectionBudget {
  private openCount = 0;

  constructor(readonly max: number) {}

  get open(): number {
    return this.openCount;
  }

  hasRoom(): boolean {
    return this.openCount < this.max;
  }

  opened(): void {
    this.openCount++;
  }

  closed(): void {
    if (this.openCount > 0) this.openCount--;
  }
}
