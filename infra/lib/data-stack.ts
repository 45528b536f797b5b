// The data stack: network, Redis, Kafka and the SSM parameters for the Lambda stack. It changes rarely; the service
// stack (ECS, ALB, CloudFront, alarms) deploys on top of it as often as the code changes.
import { Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { LambdaParameters } from "./lambda-parameters.js";
import { PaymentsKafka } from "./msk.js";
import { Network } from "./network.js";
import type { Parameters } from "./parameters.js";
import { RedisCluster } from "./redis.js";

export class DataStack extends Stack {
  readonly network: Network;
  readonly redis: RedisCluster;
  readonly kafka: PaymentsKafka;
  readonly lambdaParameters: LambdaParameters;

  constructor(scope: Construct, id: string, p: Parameters, props: StackProps) {
    super(scope, id, props);
    this.network = new Network(this, "Network", p);
    this.redis = new RedisCluster(this, "Redis", this.network, p);
    this.kafka = new PaymentsKafka(this, "Kafka", this.network, p);
    this.lambdaParameters = new LambdaParameters(this, "LambdaParameters", {
      stage: p.stage,
      privateSubnetIds: this.network.vpc.selectSubnets(this.network.privateSubnets).subnetIds,
      lambdaSecurityGroupIds: [this.network.lambdaSecurityGroup.securityGroupId],
      redisClusterNodes: this.redis.clusterNodes,
      mskClusterArn: this.kafka.clusterArn,
      redisAuthSecretArn: this.redis.authToken.secretArn,
    });
  }
}
