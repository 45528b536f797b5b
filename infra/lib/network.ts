// The VPC (new, or an existing one by id without a lookup) and the data stack's security groups: Redis and MSK accept
// only the Lambda functions here and the ECS tasks (rules added by the service stack, allowRedisFrom), never the internet.
import { aws_ec2 as ec2 } from "aws-cdk-lib";
import { Construct } from "constructs";
import type { Parameters } from "./parameters.js";

export const redisPort = 6379;
/** MSK brokers, TLS listener with IAM authentication. */
export const mskIamPort = 9098;

export class Network extends Construct {
  readonly vpc: ec2.IVpc;
  readonly privateSubnets: ec2.SubnetSelection;
  readonly redisSecurityGroup: ec2.SecurityGroup;
  readonly mskSecurityGroup: ec2.SecurityGroup;
  /** Given to the Lambda functions through SSM (lambda-security-group-ids). */
  readonly lambdaSecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, p: Parameters) {
    super(scope, id);
    if (p.existingVpc) {
      const { vpcId, availabilityZones, privateSubnetIds, publicSubnetIds } = p.existingVpc;
      this.vpc = ec2.Vpc.fromVpcAttributes(this, "Vpc", { vpcId, availabilityZones, privateSubnetIds, publicSubnetIds });
    } else {
      this.vpc = new ec2.Vpc(this, "Vpc", {
        ipAddresses: ec2.IpAddresses.cidr(p.vpcCidr),
        maxAzs: p.azCount,
        // Tasks pull the image, send logs and read secrets; Lambda functions read SSM: outbound through NAT.
        natGateways: p.natGateways,
        subnetConfiguration: [
          { name: "public", subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
          { name: "private", subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        ],
      });
    }
    this.privateSubnets = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };

    const group = (name: string, description: string, allowAllOutbound: boolean) =>
      new ec2.SecurityGroup(this, name, { vpc: this.vpc, description, allowAllOutbound });
    this.redisSecurityGroup = group("RedisSecurityGroup", "ElastiCache: Redis from the aggregators, broadcasters and Lambda only", false);
    this.mskSecurityGroup = group("MskSecurityGroup", "MSK brokers: Kafka (TLS, IAM) from the Lambda functions only", false);
    this.lambdaSecurityGroup = group("LambdaSecurityGroup", "Ingest Lambda functions", true);

    this.redisSecurityGroup.addIngressRule(this.lambdaSecurityGroup, ec2.Port.tcp(redisPort), "Redis from the ingest Lambda functions");
    this.mskSecurityGroup.addIngressRule(this.lambdaSecurityGroup, ec2.Port.tcp(mskIamPort), "Kafka from the ingest Lambda functions");
  }
}

/**
 * Lets a security group of another (later) stack reach Redis. The rule is a resource of that stack: as a rule of the
 * data stack's group it would make the data stack depend on the stack that uses it.
 */
export function allowRedisFrom(scope: Construct, id: string, network: Network, client: ec2.ISecurityGroup, label: string): void {
  new ec2.CfnSecurityGroupIngress(scope, id, {
    groupId: network.redisSecurityGroup.securityGroupId,
    sourceSecurityGroupId: client.securityGroupId,
    ipProtocol: "tcp",
    fromPort: redisPort,
    toPort: redisPort,
    description: `Redis from the ${label}`,
  });
}
