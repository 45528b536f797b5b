// The query every viewer transport of the page and the widget sends: the one place to change what they ask for.

/** The compact counter view (campaign, epoch, seq, at, currency, total, count). A rate cap goes here too, e.g. hz: 2. */
export const counterStreamParams: Readonly<Record<string, string | number | undefined>> = { view: "counter" };
