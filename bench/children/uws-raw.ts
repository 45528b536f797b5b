// Child process: a bare uWS app answering every GET with BODY_BASE64 and HEADERS_JSON (and 304 when If-None-Match is
// the ETag), with no routing, query or snapshot logic and the head encoded once: the ceiling for GET /v1/total.
import { listen, uws } from "../../core/uws-http.js";
import { childReady } from "../lib/child.js";

// Whole ArrayBuffers everywhere (not Buffers, which are views into a shared pool): what uWS reads cheapest.
const own = (bytes: Uint8Array): ArrayBuffer => new Uint8Array(bytes).buffer; // a copy: Buffer#slice would be a view
const body = own(Buffer.from(process.env.BODY_BASE64 ?? "", "base64"));
const headers = Object.entries(JSON.parse(process.env.HEADERS_JSON ?? "{}") as Record<string, string>);
const etag = headers.find(([name]) => name.toLowerCase() === "etag")?.[1];
const head = (status: string) => own(Buffer.from([status, ...headers.map(([name, value]) => `${name}: ${value}`)].join("\r\n")));
const ok = head("200 OK");
const notModified = head("304 Not Modified");
const ifNoneMatch = own(Buffer.from("if-none-match"));
const app = uws.App().any("/*", (res, req) => {
  if (etag !== undefined && req.getHeader(ifNoneMatch) === etag) res.writeStatus(notModified).endWithoutBody();
  else res.writeStatus(ok).end(body);
});
const { token, port } = await listen(app, "127.0.0.1", 0, "uws-raw");
childReady({ port }, async () => {
  uws.us_listen_socket_close(token);
  // Also drops idle keep-alive sockets. Missing from the typings.
  (app as typeof app & { close?: () => void }).close?.();
});
