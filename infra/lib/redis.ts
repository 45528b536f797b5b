// ElastiCache for Redis OSS in cluster mode: shards with replicas across zones, automatic failover, TLS and at-rest
// encryption, an AUTH token from Secrets Manager, noeviction (an evicted dedupe mark would count a payment twice).
import { aws_elasticache as elasticache, Fn, aws_iam as iam, aws_secretsmanager as secretsmanager, aws_sns as sns } from "aws-cdk-lib";
import { Construct } from "constructs";
import { type Network, redisPort } from "./network.js";
import type { Parameters } from "./parameters.js";

export class RedisCluster extends Construct {
  readonly replicationGroup: elasticache.CfnReplicationGroup;
  /** The AUTH token (REDIS_PASSWORD of every component). */
  readonly authToken: secretsmanager.Secret;
  /** host:port of the configuration endpoint: REDIS_CLUSTER_NODES. */
  readonly clusterNodes: string;
  /** ElastiCache publishes its events here (failovers among them): the Redis failover alarm counts them. */
  readonly eventsTopic: sns.Topic;

  constructor(scope: Construct, id: string, network: Network, p: Parameters) {
    super(scope, id);
    this.authToken = new secretsmanager.Secret(this, "AuthToken", {
      description: `sales-counter ${p.stage}: ElastiCache AUTH token`,
      // AUTH tokens: 16-128 printable characters without @, " or / (ElastiCache "Authenticating with AUTH"). A plain
      // string (no template): ElastiCache, the ECS tasks and the Lambda functions all read the token as the SecretString.
      // No encryptionKey: the AWS managed key aws/secretsmanager, for which GetSecretValue needs no kms:Decrypt, so the
      // Lambda roles (serverless/iam-roles.yml) hold GetSecretValue on this one ARN and nothing on KMS.
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });

    const subnets = new elasticache.CfnSubnetGroup(this, "Subnets", {
      description: `sales-counter ${p.stage}: private subnets for Redis`,
      subnetIds: network.vpc.selectSubnets(network.privateSubnets).subnetIds,
    });
    const family = `redis${p.redisEngineVersion.split(".")[0]}`;
    const parameters = new elasticache.CfnParameterGroup(this, "Parameters", {
      cacheParameterGroupFamily: family,
      description: `sales-counter ${p.stage}: cluster mode, no eviction`,
      properties: { "cluster-enabled": "yes", "maxmemory-policy": "noeviction" },
    });

    // Not encrypted: ElastiCache cannot publish to an encrypted topic, and it must be allowed by aws:SourceOwner
    // (ElastiCache User Guide, "Event Notifications and Amazon SNS").
    this.eventsTopic = new sns.Topic(this, "Events", { displayName: `sales-counter ${p.stage} ElastiCache events` });
    this.eventsTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal("elasticache.amazonaws.com")],
        actions: ["sns:Publish"],
        resources: [this.eventsTopic.topicArn],
        conditions: { StringEquals: { "aws:SourceOwner": Fn.ref("AWS::AccountId") } },
      }),
    );

    this.replicationGroup = new elasticache.CfnReplicationGroup(this, "ReplicationGroup", {
      replicationGroupDescription: `sales-counter ${p.stage} counters`,
      engine: "redis",
      engineVersion: p.redisEngineVersion,
      cacheNodeType: p.redisNodeType,
      clusterMode: "enabled",
      numNodeGroups: p.redisShards,
      replicasPerNodeGroup: p.redisReplicasPerShard,
      multiAzEnabled: true,
      automaticFailoverEnabled: true,
      transitEncryptionEnabled: true,
      transitEncryptionMode: "required",
      atRestEncryptionEnabled: true,
      authToken: this.authToken.secretValue.unsafeUnwrap(),
      port: redisPort,
      cacheSubnetGroupName: subnets.ref,
      cacheParameterGroupName: parameters.ref,
      securityGroupIds: [network.redisSecurityGroup.securityGroupId],
      notificationTopicArn: this.eventsTopic.topicArn,
      snapshotRetentionLimit: 7,
      autoMinorVersionUpgrade: true,
    });
    this.clusterNodes = `${this.replicationGroup.attrConfigurationEndPointAddress}:${this.replicationGroup.attrConfigurationEndPointPort}`;
  }
}
