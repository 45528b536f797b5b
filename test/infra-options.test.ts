// The CDK app's parameters: an existing VPC by id (no lookup), an existing MSK cluster, HTTPS to the ALB and the
// CloudFront prefix list change the templates as documented; bad values stop synthesis with every problem named.
import { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { ParameterError, readParameters } from "../infra/lib/parameters.js";
import { buildApp } from "../infra/lib/sales-counter-app.js";
import { ingressRules, ofType, only, type TemplateJson } from "./support/cfn.js";

const existing = {
  stage: "staging",
  vpcId: "vpc-0123456789abcdef0",
  vpcAvailabilityZones: "ap-northeast-2a,ap-northeast-2c",
  privateSubnetIds: "subnet-0aaaaaaaaaaaaaaa1,subnet-0aaaaaaaaaaaaaaa2",
  publicSubnetIds: "subnet-0bbbbbbbbbbbbbbb1,subnet-0bbbbbbbbbbbbbbb2",
  mskClusterArn: "arn:aws:kafka:ap-northeast-2:111122223333:cluster/payments/abcd1234-ab12-cd34-ef56-abcdef123456-2",
  albCertificateArn: "arn:aws:acm:ap-northeast-2:111122223333:certificate/11111111-2222-3333-4444-555555555555",
  albOriginDomain: "origin.sale.example.com",
  cloudFrontPrefixListId: "pl-22a6434b",
  dashboardAllowedCidrs: "198.51.100.0/24",
  imageUri: "111122223333.dkr.ecr.ap-northeast-2.amazonaws.com/sales-counter:2026.11.27",
};
let data: TemplateJson;
let service: TemplateJson;

beforeAll(() => {
  const app = buildApp(existing);
  data = Template.fromStack(app.data).toJSON() as TemplateJson;
  service = Template.fromStack(app.service).toJSON() as TemplateJson;
}, 60_000);

describe("with an existing VPC and Kafka cluster", () => {
  it("creates no VPC and no MSK cluster and hands the given ids to serverless.yml", () => {
    expect(ofType(data, "AWS::EC2::VPC")).toEqual([]);
    expect(ofType(data, "AWS::MSK::Cluster")).toEqual([]);
    const written = new Map(ofType(data, "AWS::SSM::Parameter").map(([, r]) => [r.Properties.Name, r.Properties.Value]));
    expect(written.get("/sales-counter/staging/private-subnet-ids")).toBe(existing.privateSubnetIds);
    expect(written.get("/sales-counter/staging/msk-cluster-arn")).toBe(existing.mskClusterArn);
    expect(only(data, "AWS::ElastiCache::SubnetGroup")[1].Properties.SubnetIds).toEqual(existing.privateSubnetIds.split(","));
  });
});

describe("with HTTPS to the ALB, the CloudFront prefix list and a pushed image", () => {
  it("connects CloudFront to the ALB over HTTPS by the certificate's name and admits only CloudFront's prefix list", () => {
    const [origin] = only(service, "AWS::CloudFront::Distribution")[1].Properties.DistributionConfig.Origins;
    expect(origin.DomainName).toBe(existing.albOriginDomain);
    expect(origin.CustomOriginConfig.OriginProtocolPolicy).toBe("https-only");
    const listener = only(service, "AWS::ElasticLoadBalancingV2::Listener")[1].Properties;
    expect(listener).toMatchObject({ Port: 443, Protocol: "HTTPS", Certificates: [{ CertificateArn: existing.albCertificateArn }] });
    const albIngress = ingressRules(service).filter(({ rule }) => rule.FromPort === 443);
    expect(albIngress.map(({ rule }) => rule.SourcePrefixListId)).toEqual([existing.cloudFrontPrefixListId]);
    expect(albIngress.some(({ rule }) => rule.CidrIp !== undefined)).toBe(false);
  });

  it("runs the pushed image with a role that may pull it", () => {
    const images = ofType(service, "AWS::ECS::TaskDefinition").flatMap(([, r]) =>
      r.Properties.ContainerDefinitions.map((c: { Image: unknown }) => c.Image),
    );
    expect(images).toEqual([existing.imageUri, existing.imageUri]);
    const roles = ofType(service, "AWS::IAM::Role").map(([, r]) => JSON.stringify(r.Properties.ManagedPolicyArns ?? []));
    expect(roles.filter((r) => r.includes("AmazonECSTaskExecutionRolePolicy")).length).toBe(2);
  });
});

describe("parameters", () => {
  it("stop synthesis with every problem named", () => {
    const context: Record<string, string> = {
      redisReplicasPerShard: "0",
      broadcasterMinTasks: "5",
      broadcasterMaxTasks: "3",
      vpcId: "vpc-0123456789abcdef0",
      dashboardAllowedCidrs: "10.0.0.0/8",
      region: "nowhere",
    };
    let error: unknown;
    try {
      readParameters((key) => context[key], {});
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ParameterError);
    const problems = (error as ParameterError).problems.join("\n");
    for (const key of [
      "redisReplicasPerShard",
      "broadcasterMaxTasks",
      "vpcAvailabilityZones",
      "privateSubnetIds",
      "dashboardAllowedCidrs",
      "region",
    ])
      expect(problems).toContain(key);
  });

  it("default to a new VPC in ap-northeast-2 with two zones, one replica per shard and two broadcasters", () => {
    const p = readParameters(() => undefined, {});
    expect(p).toMatchObject({
      region: "ap-northeast-2",
      azCount: 2,
      redisReplicasPerShard: 1,
      broadcasterMinTasks: 2,
      existingVpc: undefined,
    });
  });
});
