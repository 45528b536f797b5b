// The service stack: ECS services, load balancer, CloudFront and alarms, on top of the data stack's network and Redis.
import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { SaleAlarms } from "./alarms.js";
import { ViewerDistribution } from "./cdn.js";
import type { DataStack } from "./data-stack.js";
import { BroadcasterLoadBalancer } from "./load-balancer.js";
import type { Parameters } from "./parameters.js";
import { Services } from "./services.js";

export class ServiceStack extends Stack {
  readonly services: Services;
  readonly loadBalancer: BroadcasterLoadBalancer;
  readonly cdn: ViewerDistribution;
  readonly alarms: SaleAlarms;

  constructor(scope: Construct, id: string, data: DataStack, p: Parameters, props: StackProps) {
    super(scope, id, props);
    const { network, redis } = data;
    this.services = new Services(this, "Services", network, { clusterNodes: redis.clusterNodes, authToken: redis.authToken }, p);
    this.loadBalancer = new BroadcasterLoadBalancer(this, "LoadBalancer", network, p);
    this.services.broadcaster.attachToApplicationTargetGroup(this.loadBalancer.targetGroup);
    this.cdn = new ViewerDistribution(this, "Cdn", this.loadBalancer, p);
    this.alarms = new SaleAlarms(this, "Alarms", { redisEventsTopic: redis.eventsTopic, targetGroup: this.loadBalancer.targetGroup }, p);
    new CfnOutput(this, "ViewerUrl", { value: `https://${this.cdn.distribution.distributionDomainName}/` });
    new CfnOutput(this, "TotalUrl", { value: `https://${this.cdn.distribution.distributionDomainName}/v1/total` });
  }
}
