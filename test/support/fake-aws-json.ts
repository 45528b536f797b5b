// A local endpoint speaking the AWS JSON 1.1 protocol (SSM, Secrets Manager), for the real SDK clients in tests: POST /
// with X-Amz-Target "<service>.<Operation>" and a JSON body; errors carry their type in X-Amzn-ErrorType and __type.
import { createServer, type Server } from "node:http";

// biome-ignore lint/suspicious/noExplicitAny: the request and answer bodies of whichever operation the test fakes
export type Json = any;
export type FakeAnswer = { readonly ok: Json } | { readonly error: { readonly type: string; readonly message: string } };

export interface FakeAwsCall {
  /** The X-Amz-Target header, e.g. "secretsmanager.GetSecretValue". */
  readonly target: string;
  readonly body: Json;
}

export class FakeAwsJsonEndpoint {
  readonly calls: FakeAwsCall[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** Starts on a free port of 127.0.0.1; `answer` decides each call's reply. */
  static async start(answer: (call: FakeAwsCall) => FakeAnswer): Promise<FakeAwsJsonEndpoint> {
    let endpoint: FakeAwsJsonEndpoint | undefined;
    const server = createServer((req, res) => {
      let text = "";
      req.on("data", (c) => (text += c));
      req.on("end", () => {
        const call = { target: String(req.headers["x-amz-target"]), body: JSON.parse(text || "{}") };
        endpoint?.calls.push(call);
        const reply = answer(call);
        const headers: Record<string, string> = { "content-type": "application/x-amz-json-1.1" };
        if ("ok" in reply) {
          res.writeHead(200, headers);
          return res.end(JSON.stringify(reply.ok));
        }
        res.writeHead(400, { ...headers, "x-amzn-errortype": reply.error.type });
        res.end(JSON.stringify({ __type: reply.error.type, message: reply.error.message }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    endpoint = new FakeAwsJsonEndpoint(server, `http://127.0.0.1:${(server.address() as { port: number }).port}`);
    return endpoint;
  }

  /** The calls of one operation target, each as "<target> <the body's field>". */
  callsOf(target: string, field: string): string[] {
    return this.calls.filter((c) => c.target === target).map((c) => `${c.target} ${c.body[field]}`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
