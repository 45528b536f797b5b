// What operators saw: the alerts Prometheus evaluated as firing during the drill (the ALERTS series), as intervals.
export interface AlertInterval {
  readonly alertname: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly firedAtMs: number;
  /** undefined: still firing at the end of the drill. */
  readonly resolvedAtMs: number | undefined;
}

interface RangeResult {
  status: string;
  data: { result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> };
}

/** Firing intervals of every alert between fromMs and toMs (1 s resolution, as the rehearsal evaluates). */
export async function firedAlerts(prometheusUrl: string, fromMs: number, toMs: number): Promise<AlertInterval[]> {
  const params = new URLSearchParams({
    query: 'ALERTS{alertstate="firing"}',
    start: String(fromMs / 1000),
    end: String(toMs / 1000),
    step: "1",
  });
  const res = await fetch(`${prometheusUrl}/api/v1/query_range?${params}`);
  const body = (await res.json()) as RangeResult;
  if (body.status !== "success") throw new Error(`Prometheus query failed: ${JSON.stringify(body).slice(0, 200)}`);
  const out: AlertInterval[] = [];
  for (const series of body.data.result) {
    const { alertname = "?", alertstate: _s, __name__: _n, ...labels } = series.metric;
    let start: number | undefined;
    let previous = 0;
    for (const [t] of series.values) {
      const ms = t * 1000;
      if (start === undefined) start = ms;
      else if (ms - previous > 1500) {
        out.push({ alertname, labels, firedAtMs: start, resolvedAtMs: previous + 1000 });
        start = ms;
      }
      previous = ms;
    }
    if (start !== undefined)
      out.push({ alertname, labels, firedAtMs: start, resolvedAtMs: previous + 1000 >= toMs ? undefined : previous + 1000 });
  }
  return out.sort((a, b) => a.firedAtMs - b.firedAtMs);
}
