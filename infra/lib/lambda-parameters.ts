// The SSM parameters `serverless.yml` resolves at deploy time (its resources.Parameters, under /sales-counter/<stage>/),
// written by this app so the Lambda stack deploys after it with no hand-copied values.
import { aws_ssm as ssm } from "aws-cdk-lib";
import { Construct } from "constructs";

export interface LambdaParameterValues {
  readonly stage: string;
  readonly privateSubnetIds: string[];
  readonly lambdaSecurityGroupIds: string[];
  readonly redisClusterNodes: string;
  readonly mskClusterArn: string;
  /** Where the Lambda functions find the Redis AUTH token (serverless.yml RedisAuthSecretArn → REDIS_PASSWORD_SECRET_ARN). */
  readonly redisAuthSecretArn: string;
}

export function ssmPrefix(stage: string): string {
  return `/sales-counter/${stage}`;
}

export class LambdaParameters extends Construct {
  readonly names: Record<string, string>;

  constructor(scope: Construct, id: string, v: LambdaParameterValues) {
    super(scope, id);
    const prefix = ssmPrefix(v.stage);
    this.names = {
      privateSubnetIds: `${prefix}/private-subnet-ids`,
      lambdaSecurityGroupIds: `${prefix}/lambda-security-group-ids`,
      redisClusterNodes: `${prefix}/redis-cluster-nodes`,
      mskClusterArn: `${prefix}/msk-cluster-arn`,
      redisAuthSecretArn: `${prefix}/redis-auth-secret-arn`,
    };
    // StringList: CloudFormation's AWS::SSM::Parameter::Value<List<...>> parameter types read it as a list.
    new ssm.StringListParameter(this, "PrivateSubnetIds", {
      parameterName: this.names.privateSubnetIds,
      stringListValue: v.privateSubnetIds,
      description: "Private subnets of the ingest Lambda functions (serverless.yml PrivateSubnetIds)",
    });
    new ssm.StringListParameter(this, "LambdaSecurityGroupIds", {
      parameterName: this.names.lambdaSecurityGroupIds,
      stringListValue: v.lambdaSecurityGroupIds,
      description: "Security groups of the ingest Lambda functions (serverless.yml LambdaSecurityGroupIds)",
    });
    new ssm.StringParameter(this, "RedisClusterNodes", {
      parameterName: this.names.redisClusterNodes,
      stringValue: v.redisClusterNodes,
      description: "ElastiCache configuration endpoint host:port (REDIS_CLUSTER_NODES)",
    });
    new ssm.StringParameter(this, "MskClusterArn", {
      parameterName: this.names.mskClusterArn,
      stringValue: v.mskClusterArn,
      description: "MSK cluster of the ingestStream event source (serverless.yml MskClusterArn)",
    });
    new ssm.StringParameter(this, "RedisAuthSecretArn", {
      parameterName: this.names.redisAuthSecretArn,
      stringValue: v.redisAuthSecretArn,
      description: "Secrets Manager secret holding the Redis AUTH token (serverless.yml RedisAuthSecretArn, REDIS_PASSWORD_SECRET_ARN)",
    });
  }
}
