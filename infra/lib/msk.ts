// The Kafka cluster that `serverless.yml`'s MSK event source reads: an existing one by ARN, or a provisioned MSK cluster
// in the private subnets (one broker per zone, TLS and IAM authentication only).
import { aws_msk as msk } from "aws-cdk-lib";
import { Construct } from "constructs";
import type { Network } from "./network.js";
import type { Parameters } from "./parameters.js";

export class PaymentsKafka extends Construct {
  readonly clusterArn: string;

  constructor(scope: Construct, id: string, network: Network, p: Parameters) {
    super(scope, id);
    if (p.mskClusterArn !== undefined) {
      this.clusterArn = p.mskClusterArn;
      return;
    }
    const subnets = network.vpc.selectSubnets(network.privateSubnets).subnetIds;
    const cluster = new msk.CfnCluster(this, "Cluster", {
      clusterName: `sales-counter-${p.stage}`,
      kafkaVersion: p.mskKafkaVersion,
      // MSK needs the broker count to be a multiple of the client subnets' zones.
      numberOfBrokerNodes: subnets.length,
      brokerNodeGroupInfo: {
        instanceType: p.mskBrokerInstanceType,
        clientSubnets: subnets,
        securityGroups: [network.mskSecurityGroup.securityGroupId],
        storageInfo: { ebsStorageInfo: { volumeSize: 100 } },
      },
      clientAuthentication: { sasl: { iam: { enabled: true } }, unauthenticated: { enabled: false } },
      encryptionInfo: { encryptionInTransit: { clientBroker: "TLS", inCluster: true } },
    });
    this.clusterArn = cluster.attrArn;
  }
}
