// CloudFront in front of the ALB: /v1/total cached about a second by the broadcaster's own Cache-Control (max-age=1) and
// revalidated by ETag, per campaign, view and rate; the marketers' private answers never shared across viewers; live
// transports passed through uncached with every query string; pages cached briefly, versioned assets by their version;
// /dashboard and /metrics kept in.
import { aws_cloudfront as cloudfront, Duration, aws_cloudfront_origins as origins } from "aws-cdk-lib";
import { Construct } from "constructs";
import { edgeGuardSource } from "./edge-guard.js";
import { type BroadcasterLoadBalancer, originVerifyHeader } from "./load-balancer.js";
import type { Parameters } from "./parameters.js";

/** The dashboard's session cookie (broadcaster/dashboard-auth.ts sessionCookieName; test/infra-cdn checks they match). */
export const dashboardSessionCookie = "sc_dashboard";
/** The query parameters /v1/total answers differently for (README, "Views and rates"); every other one is dropped. */
export const totalQueryStrings = ["campaign", "view", "hz"] as const;

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

    // With DASHBOARD_TOKEN the full view, /v1/history and /v1/milestones need the token (Authorization: Bearer) or the
    // dashboard's cookie, and are Cache-Control: private. Both go into the cache key: CloudFront forwards Authorization
    // on GET only when it is part of the key (an origin request policy may not carry it), and with it in the key an
    // answer for one set of credentials is never served to a request with others, or with none. With a minimum TTL of
    // 0 a private answer is not cached at all (CachePolicyConfig: only a minimum TTL above 0 caches "even if the
    // Cache-Control: no-cache, no-store, or private directives are present"). Public pollers send neither: one entry.
    const credentials = {
      headerBehavior: cloudfront.CacheHeaderBehavior.allowList("Authorization"),
      cookieBehavior: cloudfront.CacheCookieBehavior.allowList(dashboardSessionCookie),
    };
    // The origin says max-age=1 for /v1/total, and CloudFront revalidates with If-None-Match against its ETag
    // (CloudFront Developer Guide, "Managing how long content stays in the cache"). Each view has its own bytes and ETag
    // and hz is checked (400 INVALID_HZ), so all three are in the key; any other query string is dropped, so it cannot
    // split the cache.
    const oneSecond = new cloudfront.CachePolicy(this, "TotalOneSecond", {
      comment: "GET /v1/total: the origin's max-age=1, at most 1 s, per campaign, view and hz",
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.seconds(1),
      maxTtl: Duration.seconds(1),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.allowList(...totalQueryStrings),
      ...credentials,
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    const originControlled = new cloudfront.CachePolicy(this, "ApiOriginControlled", {
      comment: "Other /v1 reads (history, milestones): as the origin's Cache-Control says, private ones not at all",
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.seconds(0),
      maxTtl: Duration.seconds(60),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
      ...credentials,
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    // The broadcaster sends pages with no-cache + ETag; a minimum TTL above 0 caches them anyway for that long
    // (CachePolicyConfig: "even if the Cache-Control: no-cache ... directives are present"): a deploy shows within 30 s.
    // The page reads its own options (?format=, ?mode=) in the browser, so no query string reaches the origin.
    const pages = new cloudfront.CachePolicy(this, "Pages", {
      comment: "Viewer page, widget.js: 30-300 s",
      minTtl: Duration.seconds(30),
      defaultTtl: Duration.seconds(60),
      maxTtl: Duration.seconds(300),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.none(),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    // Pages link assets as /static/<name>?v=<content hash>: v is the cache key, so a new page's URL is a new entry,
    // fetched from the origin, never the old asset cached under the old key. The origin marks the answer immutable for
    // a year only when v names the asset it holds; anything else (an old task during a rolling deploy, no v) is
    // no-cache, and with a minimum TTL of 0 the edge keeps none of those.
    const assets = new cloudfront.CachePolicy(this, "VersionedAssets", {
      comment: "/static/*: keyed on ?v=<content hash>; immutable answers for a year, the rest revalidated",
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.seconds(60),
      maxTtl: Duration.days(365),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.allowList("v"),
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
    // all viewer headers but Host, every cookie (the dashboard's) and every query string (campaign, view, hz) go
    // through (managed policy AllViewerExceptHostHeader), and nothing is cached.
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
        "/static/*": cached(assets),
        // POST too: the sign-in form (POST /dashboard/sign-in) and sign-out.
        "/dashboard*": { ...passThrough, allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL, functionAssociations: guarded },
      },
    });
  }
}
