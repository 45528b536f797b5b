// Child process: the node:http baseline, serving BODY_BASE64 with HEADERS_JSON for every request, as GET /v1/total would
// (keep-alive, and a 304 with the same headers when If-None-Match is the ETag, like the broadcaster).
import { createServer } from "node:http";
import { childReady } from "../lib/child.js";

const body = Buffer.from(process.env.BODY_BASE64 ?? "", "base64");
const common = JSON.parse(process.env.HEADERS_JSON ?? "{}") as Record<string, string>;
const headers = { ...common, "content-length": String(body.length) };
const etag = Object.entries(common).find(([name]) => name.toLowerCase() === "etag")?.[1];
const server = createServer((req, res) => {
  if (etag !== undefined && req.headers["if-none-match"] === etag) {
    res.writeHead(304, common);
    res.end();
    return;
  }
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
