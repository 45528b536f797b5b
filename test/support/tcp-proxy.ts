// A TCP proxy for fault tests: forwards bytes both ways until told to freeze the connections it carries, which then
// stay open but pass nothing and ignore the peer's FIN: a half-open connection, as a vanished host or a dropped
// NAT entry leaves it (no iptables needed). Connections opened after a freeze are forwarded normally.
import { createConnection, createServer, type Server, type Socket } from "node:net";

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  frozen: boolean;
}

export class TcpProxy {
  private readonly pairs = new Set<Pair>();
  private readonly server: Server;
  private port = 0;

  private constructor(private readonly targetPort: number) {
    this.server = createServer({ allowHalfOpen: true }, (client) => this.carry(client));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Connections currently carried (frozen ones included). */
  get connections(): number {
    return this.pairs.size;
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, "127.0.0.1", resolve));
    const address = proxy.server.address();
    if (typeof address !== "object" || address === null) throw new Error("proxy has no port");
    proxy.port = address.port;
    return proxy;
  }

  /** Every connection carried now passes nothing from here on, and never closes by itself. */
  freezeAll(): number {
    for (const pair of this.pairs) pair.frozen = true;
    return this.pairs.size;
  }

  async stop(): Promise<void> {
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private carry(client: Socket): void {
    const upstream = createConnection({ host: "127.0.0.1", port: this.targetPort, allowHalfOpen: true });
    const pair: Pair = { client, upstream, frozen: false };
    this.pairs.add(pair);
    const forward = (from: Socket, to: Socket) => {
      from.on("data", (chunk) => {
        if (!pair.frozen) to.write(chunk);
      });
      from.on("end", () => {
        if (!pair.frozen) to.end();
      });
    };
    forward(client, upstream);
    forward(upstream, client);
    const drop = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on("close", drop);
      socket.on("error", drop);
    }
  }
}
