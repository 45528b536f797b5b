// The counter view as the fan-out peers build it: the same seven fields, in the same order, as broadcaster/views.ts.
export function counterFrame(json: string): string {
  const { campaign, epoch, seq, at, currency, total, count } = JSON.parse(json) as Record<string, unknown>;
  return JSON.stringify({ campaign, epoch, seq, at, currency, total, count });
}

/** What a peer relays for a view: the snapshot as published, or its counter view. */
export function frameFor(view: string, json: string): string {
  return view === "counter" ? counterFrame(json) : json;
}
