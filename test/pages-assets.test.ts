// Page assets over real HTTP from a real broadcaster: compressed when asked (brotli, gzip) and identical once decoded,
// Vary and an ETag per encoding, 304s, a year of caching for versioned URLs only, HEAD, a minified widget.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPages, loadPages, writePageBuild } from "../broadcaster/routes/pages-bundle.js";
import { type Broadcaster, startBroadcaster } from "../broadcaster/server.js";
import { testConfig } from "./support/config.js";
import { RedisServer } from "./support/redis-server.js";

let server: RedisServer;
let broadcaster: Broadcaster;

beforeAll(async () => {
  server = await RedisServer.start();
  broadcaster = await startBroadcaster({ config: testConfig({ REDIS_URL: server.url, BROADCASTER_PORT: "0", CAMPAIGN: "assets" }) });
});
afterAll(async () => {
  await broadcaster?.close();
  await server?.stop();
});

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One request with exactly the headers given (fetch would add Accept-Encoding and decode the body itself). */
function raw(path: string, headers: Record<string, string> = {}, method = "GET"): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: broadcaster.port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("page assets", () => {
  it("come brotli- or gzip-compressed when asked, decode to the same bytes, with Vary and an ETag per encoding", async () => {
    for (const path of ["/widget.js", "/", "/static/viewer.js", "/static/dashboard.js", "/static/uPlot.min.css", "/static/counter.css"]) {
      const identity = await raw(path);
      const br = await raw(path, { "accept-encoding": "gzip, deflate, br" });
      const gzip = await raw(path, { "accept-encoding": "gzip;q=1, br;q=0" });
      expect(identity.headers["content-encoding"], path).toBeUndefined();
      expect(br.headers["content-encoding"], path).toBe("br");
      expect(gzip.headers["content-encoding"], path).toBe("gzip");
      for (const res of [identity, br, gzip]) expect(res.headers.vary, path).toBe("Accept-Encoding");
      expect(brotliDecompressSync(br.body).equals(identity.body), path).toBe(true);
      expect(gunzipSync(gzip.body).equals(identity.body), path).toBe(true);
      expect(br.body.length, path).toBeLessThan(identity.body.length);
      expect(new Set([identity.headers.etag, br.headers.etag, gzip.headers.etag]).size, path).toBe(3);
      // A cache revalidating its brotli copy gets a 304 for it, and the full body for another representation's tag.
      expect((await raw(path, { "accept-encoding": "br", "if-none-match": String(br.headers.etag) })).status).toBe(304);
      expect((await raw(path, { "accept-encoding": "br", "if-none-match": String(gzip.headers.etag) })).status).toBe(200);
    }
  });

  it("caches versioned URLs for a year and revalidates everything else", async () => {
    const page = (await raw("/")).body.toString();
    const url = /src="(\/static\/viewer\.js\?v=[\w-]+)"/.exec(page)?.[1];
    expect(url).toBeDefined();
    expect((await raw(url as string)).headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect((await raw("/static/viewer.js")).headers["cache-control"]).toBe("no-cache");
    expect((await raw("/static/viewer.js?v=stale")).headers["cache-control"]).toBe("no-cache");
    expect((await raw("/")).headers["cache-control"]).toBe("no-cache");
    expect((await raw("/widget.js")).headers["cache-control"]).toBe("public, max-age=300, stale-while-revalidate=3600");
  });

  it("answers HEAD with the headers of a GET and no body", async () => {
    for (const path of ["/widget.js", "/", "/static/viewer.js"]) {
      const get = await raw(path, { "accept-encoding": "br" });
      const head = await raw(path, { "accept-encoding": "br" }, "HEAD");
      expect(head.status, path).toBe(200);
      expect(head.body.length, path).toBe(0);
      expect(head.headers["content-length"], path).toBe(String(get.body.length));
      expect(head.headers.etag, path).toBe(get.headers.etag);
      expect(head.headers["content-type"], path).toBe(get.headers["content-type"]);
    }
    expect((await raw("/widget.js", {}, "HEAD")).headers["access-control-allow-origin"]).toBe("*");
    expect((await raw("/static/nothing.js", {}, "HEAD")).status).toBe(404);
  });

  it("serves the widget minified: one bundle without comments or indentation", async () => {
    const widget = (await raw("/widget.js")).body.toString();
    expect(widget).not.toMatch(/\/\*\*|\n {2,}/);
    expect(widget).toContain("attachShadow");
    expect(widget.split("\n").length).toBeLessThan(10);
  });

  it("can be built once ahead (for a production image) and are then read rather than built", () => {
    const dir = mkdtempSync(join(tmpdir(), "pages-build-"));
    try {
      const names = writePageBuild(dir);
      expect(names.sort()).toEqual(["counter.css", "dashboard.css", "dashboard.js", "viewer.css", "viewer.js", "widget.js"]);
      const fresh = buildPages();
      for (const [name, bytes] of loadPages(dir))
        expect(Buffer.from(bytes).equals(Buffer.from(fresh.get(name) as Uint8Array)), name).toBe(true);
      writeFileSync(join(dir, "viewer.js"), "/* prebuilt */");
      expect(new TextDecoder().decode(loadPages(dir).get("viewer.js"))).toBe("/* prebuilt */");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
