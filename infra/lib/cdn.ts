// CloudFront in front of the ALB: /v1/total cached about a second by the broadcaster's own Cache-Control (max-age=1) and
// revalidated by ETag, live transports passed through uncached, pages cached briefly, /dashboard and /metrics kept in.
import { aws_cloudfront as cloudfront, Duration, aws_cloudfront_origins as origins } from "aws-cdk-lib";
import { Construct } from "constructs";
import { edgeGuardSource } from "./edge-guard.js";
import { type BroadcasterLoadBalancer, originVerifyHeader } from "./load-balancer.js";
import type { Parameters } from "./parameters.js";

export class ViewerDistribution extends Construct {
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, lb: BroadcasterLoadBalancer, p: Parameters) {
    super(scope, id);
    const origin = new origins.HttpOrigin(lb.originDomain, {
      protocolPolicy: lb.https ? cloudfront.OriginProtocolPolicy.HTTPS_ONLY : cloudfront.OriginProtocolPolicy.HTTP_ONLY,
      customHeaders: { [originVerifyHeader]: lb.originVerify.secretValue.unsafeUnwrap() },
      // SSE and WebSocket get a frame at least every heartbeat (1 s); 60 s is CloudFront's largest default.
      readTimeout: Duration.seconds(60),
      keepaliveTimeout: Duration.seconds(60),
    });

    // With a minimum TTL of 0 CloudFront follows the origin's Cache-Control: the broadcaster says max-age=1 for
    // /v1/total, and CloudFront revalidates with If-None-Match against its ETag (CloudFront Developer Guide,
    // "Managing how long content stays in the cache").
    const oneSecond = new cloudfront.CachePolicy(this, "TotalOneSecond", {
      comment: "GET /v1/total: the origin's max-age=1, at most 1 s",
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.seconds(1),
      maxTtl: Duration.seconds(1),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.allowList("campaign"),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    const originControlled = new cloudfront.CachePolicy(this, "ApiOriginControlled", {
      comment: "Other /v1 reads (history, milestones): as the origin's Cache-Control says",
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.seconds(0),
      maxTtl: Duration.seconds(60),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    // The broadcaster sends pages with no-cache + ETag; a minimum TTL above 0 caches them anyway for that long
    // (CachePolicyConfig: "even if the Cache-Control: no-cache ... directives are present"): a deploy shows within 30 s.
    const pages = new cloudfront.CachePolicy(this, "Pages", {
      comment: "Viewer page, widget.js, static assets: 30-300 s",
      minTtl: Duration.seconds(30),
      defaultTtl: Duration.seconds(60),
      maxTtl: Duration.seconds(300),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.none(),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    const guard = new cloudfront.Function(this, "EdgeGuard", {
      comment: "No /metrics; /dashboard from allowed viewer ranges only",
      code: cloudfront.FunctionCode.fromInline(edgeGuardSource(p.dashboardAllowedCidrs)),
      runtime: cloudfront.FunctionRuntime.JS_2_0,
    });
    const guarded = [{ function: guard, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }];

    const cached = (cachePolicy: cloudfront.ICachePolicy): cloudfront.BehaviorOptions => ({
      origin,
      cachePolicy,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
      compress: true,
    });
    // WebSocket needs Sec-WebSocket-Key and -Version at the origin ("Use WebSockets with CloudFront distributions");
    // all viewer headers but Host go through, and nothing is cached.
    const passThrough: cloudfront.BehaviorOptions = {
      origin,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
      compress: false,
    };

    this.distribution = new cloudfront.Distribution(this, "Distribution", {
      comment: `sales-counter ${p.stage} viewers`,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_200,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      defaultBehavior: { ...cached(pages), functionAssociations: guarded },
      additionalBehaviors: {
        "/v1/live": passThrough,
        "/v1/stream": passThrough,
        "/v1/total": cached(oneSecond),
        "/v1/*": cached(originControlled),
        "/widget.js": cached(pages),
        "/static/*": cached(pages),
        "/dashboard*": { ...passThrough, functionAssociations: guarded },
      },
    });
  }
}
