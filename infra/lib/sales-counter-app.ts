// Builds the CDK app: the data stack and the service stack of one stage, from the parameters in CDK context.
import { App } from "aws-cdk-lib";
import { DataStack } from "./data-stack.js";
import { type Parameters, readParameters } from "./parameters.js";
import { ServiceStack } from "./service-stack.js";

export interface SalesCounterApp {
  readonly app: App;
  readonly parameters: Parameters;
  readonly data: DataStack;
  readonly service: ServiceStack;
}

export function buildApp(context: Record<string, string>, outdir?: string): SalesCounterApp {
  // Classic exports between the two stacks: the data stack cannot drop a value the service stack still uses.
  const app = new App({ context: { "@aws-cdk/core:defaultCrossStackReferences": "strong", ...context }, outdir });
  const parameters = readParameters((key) => app.node.tryGetContext(key));
  // Explicit region (and account when known): synthesis needs no credentials and makes no lookups.
  const env = { account: parameters.account, region: parameters.region };
  const data = new DataStack(app, `sales-counter-${parameters.stage}-data`, parameters, {
    env,
    description: `sales-counter ${parameters.stage}: VPC, ElastiCache (cluster mode), Kafka, SSM parameters for the Lambda stack`,
    terminationProtection: parameters.stage === "prod",
  });
  const service = new ServiceStack(app, `sales-counter-${parameters.stage}-service`, data, parameters, {
    env,
    description: `sales-counter ${parameters.stage}: aggregators and broadcasters on Fargate, ALB, CloudFront, alarms`,
  });
  return { app, parameters, data, service };
}
