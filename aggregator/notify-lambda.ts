// Milestone delivery to MILESTONE_FUNCTION (a name or an ARN) with @aws-sdk/client-lambda, InvocationType "Event":
// Lambda queues the event and answers 202, which acknowledges the delivery. Endpoint, region and credentials come
// from the SDK's standard settings (AWS_REGION, AWS_ENDPOINT_URL_LAMBDA or AWS_ENDPOINT_URL, the credential chain);
// an ARN's region wins over AWS_REGION, since the function lives there.
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import type { MilestoneSender } from "./milestone-payload.js";

/** The region of a function ARN (arn:aws:lambda:<region>:<account>:function:<name>), or undefined for a bare name. */
export function regionOfFunction(functionName: string): string | undefined {
  return /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):/.exec(functionName)?.[1];
}

export function lambdaSender(functionName: string): MilestoneSender {
  const region = regionOfFunction(functionName);
  // One attempt per delivery: the outbox retries with its own backoff, across restarts and failovers.
  const client = new LambdaClient({ ...(region === undefined ? {} : { region }), maxAttempts: 1 });
  return {
    target: "function",
    async deliver(payload, signal) {
      const out = await client.send(
        new InvokeCommand({ FunctionName: functionName, InvocationType: "Event", Payload: Buffer.from(JSON.stringify(payload)) }),
        { abortSignal: signal },
      );
      if (out.StatusCode !== 202) throw new Error(`Invoke answered status ${out.StatusCode}`);
    },
    close() {
      client.destroy();
    },
  };
}
