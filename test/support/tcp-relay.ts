// A TCP relay for fault tests, used two ways: as a replication link (a replica replicates through it, and the test holds
// or cuts what the primary sends, so writes stay on the primary only: the asynchronous-replication gap, made certain),
// and as a primary endpoint that moves to a promoted replica (what ElastiCache's primary endpoint does on failover).
import { connect, createServer, type Server, type Socket } from "node:net";

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  /** Data from upstream held while the relay holds (written on release). */
  held: Buffer[];
}

export class TcpRelay {
  private readonly pairs = new Set<Pair>();
  private holding = false;
  private dropping = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private target: number,
  ) {
    server.on("connection", (client) => this.relay(client));
  }

  static async start(target: number): Promise<TcpRelay> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (typeof address !== "object" || address === null) throw new Error("relay has no port");
    return new TcpRelay(server, address.port, target);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Holds what upstream sends (kept, delivered on release): a replica that lags. */
  hold(): void {
    this.holding = true;
  }

  release(): void {
    this.holding = false;
    for (const pair of this.pairs) for (const chunk of pair.held.splice(0)) pair.client.write(chunk);
  }

  /** Drops what upstream sends from now on: those bytes never reach the client (a link that broke mid-stream). */
  drop(): void {
    this.dropping = true;
  }

  /** Points new connections at another port and closes the current ones (clients reconnect to the new target). */
  retarget(target: number): void {
    this.target = target;
    this.dropping = false;
    this.holding = false;
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    this.pairs.clear();
  }

  async stop(): Promise<void> {
    this.retarget(this.target);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket): void {
    const upstream = connect(this.target, "127.0.0.1");
    const pair: Pair = { client, upstream, held: [] };
    this.pairs.add(pair);
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.pairs.delete(pair);
    };
    client.on("data", (chunk) => upstream.write(chunk));
    upstream.on("data", (chunk) => {
      if (this.dropping) return;
      if (this.holding) pair.held.push(chunk);
      else client.write(chunk);
    });
    for (const socket of [client, upstream]) {
      socket.on("error", close);
      socket.on("close", close);
    }
  }
}
