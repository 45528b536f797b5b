// The query every viewer transport of the page and the widget sends: the one place to change what they ask for.

/** viewerPageHz of broadcaster/viewer-params.ts, put in by the bundler (routes/pages-bundle.ts); unset outside a bundle. */
declare const __VIEWER_HZ__: string | undefined;

/** The compact counter view (campaign, epoch, seq, at, currency, total, count) at the page's rate (frames a second). */
export const counterStreamParams: Readonly<Record<string, string | number | undefined>> = {
  view: "counter",
  hz: typeof __VIEWER_HZ__ === "string" ? __VIEWER_HZ__ : undefined,
};
