// Receivers of milestone notifications for tests: a webhook (node:http) and a TCP proxy in front of the local Lambda
// Invoke API, each of which can go down (refusing connections, cutting open ones) and come back on the same port.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createConnection, createServer as createTcpServer, type Socket, type Server as TcpServer } from "node:net";

export interface Delivery {
  readonly atMs: number;
  /** The Idempotency-Key header (webhooks only). */
  readonly header: string | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: the decoded JSON payload, checked by each test
  readonly body: any;
}

/** What a receiver that deduplicates by idempotency key keeps: the first delivery of each key. */
export function dedupe(deliveries: readonly Delivery[]): Map<string, Delivery> {
  const out = new Map<string, Delivery>();
  for (const d of deliveries) if (!out.has(d.body.idempotencyKey)) out.set(d.body.idempotencyKey, d);
  return out;
}

function listen(server: Server | TcpServer, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export class WebhookReceiver {
  readonly received: Delivery[] = [];
  /** Status answered to each POST; the delivery is recorded only when it is 2xx (the sender gets the error otherwise). */
  status = 200;
  /** Every POST, whatever was answered. */
  readonly attempts: number[] = [];
  private server: Server | undefined;

  private constructor(public port: number) {}

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(0);
    await receiver.up();
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/milestones`;
  }

  async up(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        this.attempts.push(Date.now());
        const status = this.status;
        if (status >= 200 && status < 300) {
          const header = req.headers["idempotency-key"];
          this.received.push({
            atMs: Date.now(),
            header: Array.isArray(header) ? header[0] : header,
            body: JSON.parse(Buffer.concat(chunks).toString("utf8")),
          });
        }
        res.writeHead(status, { "content-type": "application/json" }).end("{}");
      });
    });
    this.port = await listen(server, this.port);
    this.server = server;
  }

  /** Stops listening and cuts every open connection: the sender sees connection refused from now on. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Forwards 127.0.0.1:<port> to a target port; down() refuses and cuts connections, up() serves again on the port. */
export class DownableProxy {
  private server: TcpServer | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    public port: number,
    private readonly targetPort: number,
  ) {}

  static async start(targetPort: number): Promise<DownableProxy> {
    const proxy = new DownableProxy(0, targetPort);
    await proxy.up();
    return proxy;
  }

  async up(): Promise<void> {
    const server = createTcpServer((client) => {
      const upstream = createConnection({ host: "127.0.0.1", port: this.targetPort });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    this.port = await listen(server, this.port);
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A local stand-in for the function MILESTONE_FUNCTION names: records every event it is invoked with. */
export function milestoneRecorder(): { readonly received: Delivery[]; handler: (event: unknown) => Promise<{ ok: true }> } {
  const received: Delivery[] = [];
  return {
    received,
    handler: async (event) => {
      received.push({ atMs: Date.now(), header: undefined, body: event });
      return { ok: true };
    },
  };
}
