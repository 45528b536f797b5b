// A TCP proxy in front of a server that counts the WebSocket upgrade requests passing through it (what the server
// receives), for tests that must show a client does not reconnect in a loop.
import { connect, createServer, type Server, type Socket } from "node:net";

/** An HTTP/1.1 upgrade request names it in a header (RFC 9110 7.8; RFC 6455 4.1): "Upgrade: websocket". */
const upgradeHeader = /\r\nupgrade:\s*websocket\r\n/i;

export class CountingProxy {
  /** Arrival times (Date.now()) of each WebSocket upgrade request. */
  readonly upgrades: number[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number, targetHost = "127.0.0.1"): Promise<CountingProxy> {
    let proxy: CountingProxy | undefined;
    const server = createServer((client) => {
      const upstream = connect(targetPort, targetHost);
      proxy?.track(client);
      proxy?.track(upstream);
      // Requests on one connection may arrive in pieces: look at the head of each request as it accumulates.
      let head = "";
      client.on("data", (chunk: Buffer) => {
        head += chunk.toString("latin1");
        let end = head.indexOf("\r\n\r\n");
        while (end !== -1) {
          if (upgradeHeader.test(`${head.slice(0, end)}\r\n`)) proxy?.upgrades.push(Date.now());
          head = head.slice(end + 4);
          end = head.indexOf("\r\n\r\n");
        }
        // Past an upgrade the bytes are WebSocket frames, not requests: stop looking once the head grows large.
        if (head.length > 65536) head = "";
      });
      client.pipe(upstream);
      upstream.pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on("error", close);
      upstream.on("error", close);
      client.on("close", close);
      upstream.on("close", close);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("proxy has no port");
    proxy = new CountingProxy(server, address.port);
    return proxy;
  }

  /** Upgrades that arrived at or after `sinceMs`. */
  upgradesSince(sinceMs: number): number {
    return this.upgrades.filter((t) => t >= sinceMs).length;
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
