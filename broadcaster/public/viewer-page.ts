// The viewer page (GET /): ?campaign=, ?format=korean (억/만 units), ?mode=board (a big screen fills its width).
import { SalesCounterClient } from "./counter-client.js";
import { parseFormat } from "./counter-format.js";
import { counterStreamParams } from "./counter-params.js";
import { CounterView } from "./counter-view.js";

const byId = (id: string) => document.getElementById(id) as HTMLElement;
const root = byId("counter");
const query = new URLSearchParams(location.search);
const board = query.get("mode") === "board" || query.get("mode") === "big";
root.dataset.mode = board ? "board" : "normal";

const view = new CounterView(
  { root, total: byId("total"), digits: byId("digits"), count: byId("count"), status: byId("status"), announcer: byId("announcer") },
  {
    format: parseFormat(query.get("format")),
    // A phone or a desktop window keeps room for the words; a board gives the number almost half its height.
    // Capped by the width too, so that a short figure ("743억 원") keeps the size the long one has.
    maxPx: () => (board ? innerHeight * 0.42 : Math.min(160, innerHeight * 0.2, innerWidth * 0.16)),
  },
);

const client = new SalesCounterClient({
  campaign: query.get("campaign") ?? "",
  params: counterStreamParams,
  staleAfterMs: Number(root.dataset.staleAfterMs) || 5000,
  onSnapshot: (snapshot, transport) => view.show(snapshot, transport),
  onStatus: (status, transport) => view.setStatus(status, transport),
});
(window as unknown as { salesCounter: SalesCounterClient }).salesCounter = client;
client.start();
