// The CloudFront Function that guards the edge, run on events shaped as CloudFront passes them ("CloudFront Functions
// event structure": event.viewer.ip, event.request.uri; returning a response object answers the viewer directly).
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { edgeGuardSource } from "../infra/lib/edge-guard.js";

type Handler = (event: unknown) => { statusCode?: number; uri?: string };
const load = (cidrs: string[]): Handler => runInNewContext(`${edgeGuardSource(cidrs)}\nhandler;`, {}) as Handler;
const event = (uri: string, ip = "203.0.113.9") => ({
  version: "1.0",
  context: { eventType: "viewer-request" },
  viewer: { ip },
  request: { method: "GET", uri, querystring: {}, headers: {}, cookies: {} },
});

describe("the edge guard", () => {
  it("answers /metrics with 404 from the edge, whoever asks", () => {
    const guard = load(["198.51.100.0/24"]);
    for (const uri of ["/metrics", "/metrics/x"]) expect(guard(event(uri, "198.51.100.7"))).toMatchObject({ statusCode: 404 });
  });

  it("lets /dashboard through only from the allowed viewer ranges", () => {
    const guard = load(["198.51.100.0/24", "192.0.2.17/32"]);
    expect(guard(event("/dashboard", "198.51.100.250"))).toMatchObject({ uri: "/dashboard" });
    expect(guard(event("/dashboard", "192.0.2.17"))).toMatchObject({ uri: "/dashboard" });
    expect(guard(event("/dashboard", "192.0.2.18"))).toMatchObject({ statusCode: 403 });
    expect(guard(event("/dashboard/x", "198.51.101.1"))).toMatchObject({ statusCode: 403 });
    // IPv6 viewers are not in an IPv4 allow-list.
    expect(guard(event("/dashboard", "2001:db8::1"))).toMatchObject({ statusCode: 403 });
  });

  it("refuses /dashboard to everyone when no range is allowed, and passes the public paths untouched", () => {
    const guard = load([]);
    expect(guard(event("/dashboard"))).toMatchObject({ statusCode: 403 });
    for (const uri of ["/", "/widget.js", "/v1/total", "/static/viewer.css", "/dashboards-not"])
      expect(guard(event(uri))).toEqual(event(uri).request);
  });
});
