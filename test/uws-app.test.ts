// createApp: a handler that throws is logged and answered 500 INTERNAL, and the server keeps serving (real uWS, real sockets).
import type { us_listen_socket } from "uWebSockets.js";
import { request } from "node:http";
import { pino } from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createApp } from "../core/uws-app.js";
import { listen, uws } from "../core/uws-http.js";

const logged: Array<{ msg: string; err?: { message: string } }> = [];
let token: us_listen_socket;
let base: string;

beforeAll(async () => {
  const logger = pino({ level: "error" }, { write: (line: string) => void logged.push(JSON.parse(line)) });
  const app = createApp({ name: "test server", logger });
  app.get("/boom", () => {
    throw new Error("handler bug");
  });
  app.get("/ok", (res) => {
    res.end("fine");
  });
  app.ws("/ws", {
    upgrade: () => {
      throw new Error("upgrade bug");
    },
  });
  const listening = await listen(app, "127.0.0.1", 0, "test server");
  token = listening.token;
  base = `http://127.0.0.1:${listening.port}`;
});

afterAll(() => uws.us_listen_socket_close(token));

it("answers 500 INTERNAL when a handler throws, logs it, and keeps serving", async () => {
  const boom = await fetch(`${base}/boom`);
  expect(boom.status).toBe(500);
  expect(await boom.json()).toEqual({ error: { code: "INTERNAL", message: "unexpected server error" } });
  expect(logged.some((l) => l.msg === "test server handler failed" && l.err?.message === "handler bug")).toBe(true);

  const ok = await fetch(`${base}/ok`);
  expect(ok.status).toBe(200);
  expect(await ok.text()).toBe("fine");
});

it("answers 500 when a WebSocket upgrade handler throws", async () => {
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(`${base}/ws`, {
      headers: {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
      },
    });
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("upgrade", () => resolve(101));
    req.on("error", reject);
    req.end();
  });
  expect(status).toBe(500);
  expect(logged.some((l) => l.err?.message === "upgrade bug")).toBe(true);
  expect((await fetch(`${base}/ok`)).status).toBe(200);
});
