// The Application Load Balancer in front of the broadcasters: only CloudFront gets through (a secret origin header, and the
// CloudFront prefix list when given), /metrics never, health checks on /readyz, timeouts chosen for long-lived viewers.
import { Duration, aws_ec2 as ec2, aws_elasticloadbalancingv2 as elbv2, aws_secretsmanager as secretsmanager } from "aws-cdk-lib";
import { Construct } from "constructs";
import type { Network } from "./network.js";
import type { Parameters } from "./parameters.js";
import { broadcasterPort } from "./services.js";

export const originVerifyHeader = "X-Origin-Verify";
/**
 * WebSocket and SSE connections carry a snapshot at least every HEARTBEAT_MS (1 s), so they are never idle for long;
 * 120 s tolerates a stalled pipeline for two minutes before the ALB cuts quiet connections (ALB default: 60 s).
 */
export const albIdleTimeout = Duration.seconds(120);
/**
 * Viewer sockets never finish by themselves, so a long drain only delays deploys: after 30 s ECS stops the task,
 * the broadcaster closes its sockets and viewers reconnect to the other tasks with jittered backoff (0.25-15 s).
 */
export const deregistrationDelay = Duration.seconds(30);

export class BroadcasterLoadBalancer extends Construct {
  readonly alb: elbv2.ApplicationLoadBalancer;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly originVerify: secretsmanager.Secret;
  /** The name CloudFront connects to: the ALB's own DNS name (HTTP) or albOriginDomain (HTTPS). */
  readonly originDomain: string;
  readonly https: boolean;

  constructor(scope: Construct, id: string, network: Network, p: Parameters) {
    super(scope, id);
    this.https = p.albCertificateArn !== undefined;
    const port = this.https ? 443 : 80;
    const securityGroup = new ec2.SecurityGroup(this, "SecurityGroup", {
      vpc: network.vpc,
      description: "Broadcaster ALB: from CloudFront",
      allowAllOutbound: false,
    });
    const from = p.cloudFrontPrefixListId === undefined ? ec2.Peer.anyIpv4() : ec2.Peer.prefixList(p.cloudFrontPrefixListId);
    securityGroup.addIngressRule(from, ec2.Port.tcp(port), "CloudFront origin-facing");
    this.alb = new elbv2.ApplicationLoadBalancer(this, "Alb", {
      vpc: network.vpc,
      internetFacing: true,
      securityGroup,
      idleTimeout: albIdleTimeout,
      dropInvalidHeaderFields: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
    });
    this.originDomain = p.albOriginDomain ?? this.alb.loadBalancerDnsName;

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, "Broadcasters", {
      vpc: network.vpc,
      port: broadcasterPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      deregistrationDelay,
      healthCheck: {
        // Ready = Redis up, subscribed and a fresh snapshot (broadcaster/routes/health.ts): a broadcaster that would show
        // a stale number gets no viewers.
        path: "/readyz",
        healthyHttpCodes: "200",
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });

    this.originVerify = new secretsmanager.Secret(this, "OriginVerify", {
      description: "Header value CloudFront adds to origin requests; the ALB forwards only requests that carry it",
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    const listener = this.alb.addListener("Listener", {
      port,
      protocol: this.https ? elbv2.ApplicationProtocol.HTTPS : elbv2.ApplicationProtocol.HTTP,
      certificates: p.albCertificateArn === undefined ? undefined : [elbv2.ListenerCertificate.fromArn(p.albCertificateArn)],
      open: false,
      defaultAction: elbv2.ListenerAction.fixedResponse(403, {
        contentType: "application/json",
        messageBody: JSON.stringify({ error: { code: "FORBIDDEN", message: "use the CloudFront distribution" } }),
      }),
    });
    listener.addAction("NoMetrics", {
      priority: 10,
      conditions: [elbv2.ListenerCondition.pathPatterns(["/metrics", "/metrics/*"])],
      action: elbv2.ListenerAction.fixedResponse(404, {
        contentType: "application/json",
        messageBody: JSON.stringify({ error: { code: "NOT_FOUND", message: "not served publicly" } }),
      }),
    });
    listener.addTargetGroups("FromCloudFront", {
      priority: 20,
      conditions: [elbv2.ListenerCondition.httpHeader(originVerifyHeader, [this.originVerify.secretValue.unsafeUnwrap()])],
      targetGroups: [this.targetGroup],
    });
  }
}
