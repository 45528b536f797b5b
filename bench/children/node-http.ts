// Child process: the node:http baseline, serving BODY_BASE64 with HEADERS_JSON for every request, as GET /v1/total would.
import { createServer } from "node:http";
import { childReady } from "../lib/child.js";

const body = Buffer.from(process.env.BODY_BASE64 ?? "", "base64");
const headers = { ...(JSON.parse(process.env.HEADERS_JSON ?? "{}") as Record<string, string>), "content-length": String(body.length) };
const server = createServer((_req, res) => {
  res.writeHead(200, headers);
  res.end(body);
});
server.keepAliveTimeout = 60_000;
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const address = server.address();
childReady({ port: typeof address === "object" && address ? address.port : 0 }, async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
