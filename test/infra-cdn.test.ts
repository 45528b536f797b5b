// The CloudFront distribution's behaviours (synthesized offline, checked with aws-cdk-lib/assertions): which behaviour a
// path reaches, what each keys its cache on and forwards, how long it keeps answers, and what stays off the edge.
import { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { sessionCookieName } from "../broadcaster/dashboard-auth.js";
import { immutableCache } from "../broadcaster/routes/pages-assets.js";
import { dashboardSessionCookie } from "../infra/lib/cdn.js";
import { buildApp } from "../infra/lib/sales-counter-app.js";
import { only, type TemplateJson } from "./support/cfn.js";

let serviceJson: TemplateJson;

beforeAll(() => {
  serviceJson = Template.fromStack(buildApp({ stage: "prod", region: "ap-northeast-2" }).service).toJSON() as TemplateJson;
}, 60_000);

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON, checked field by field
type Behavior = any;
const config = () => only(serviceJson, "AWS::CloudFront::Distribution")[1].Properties.DistributionConfig;
/**
 * The behaviour CloudFront picks for a request path: the first cache behaviour, in order, whose path pattern matches
 * (case-sensitive; * any run of characters, ? one), else the default (CloudFront Developer Guide, "Path pattern").
 */
function behaviorFor(path: string): Behavior {
  const glob = (pattern: string) =>
    new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".")}$`,
    );
  return config().CacheBehaviors.find((b: Behavior) => glob(b.PathPattern).test(path)) ?? config().DefaultCacheBehavior;
}
const policyOf = (path: string) => serviceJson.Resources[behaviorFor(path).CachePolicyId.Ref]!.Properties.CachePolicyConfig;
const keyOf = (path: string) => policyOf(path).ParametersInCacheKeyAndForwardedToOrigin;
// Managed policy ids (CloudFront Developer Guide, "Use managed cache policies" / "Use managed origin request policies").
const cachingDisabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
// AllViewerExceptHostHeader: every viewer header except Host, all cookies, all query strings.
const allViewerExceptHost = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

describe("CloudFront", () => {
  it("caches /v1/total for at most a second, following the broadcaster's max-age, keyed by campaign, view and hz", () => {
    expect(policyOf("/v1/total")).toMatchObject({ MinTTL: 0, DefaultTTL: 1, MaxTTL: 1 });
    // Each view has its own bytes and ETag (?view=counter), and ?hz=N is checked: a 304 or a cached answer is only
    // ever one of the same view. Other query strings are not part of the key, nor sent to the origin.
    const { QueryStringsConfig } = keyOf("/v1/total");
    expect(QueryStringsConfig.QueryStringBehavior).toBe("whitelist");
    expect([...QueryStringsConfig.QueryStrings].sort()).toEqual(["campaign", "hz", "view"]);
    expect(behaviorFor("/v1/total").Compress).toBe(true);
  });

  it("never hands a private answer (full view, history, milestones) to another viewer: credentials in the key, nothing kept", () => {
    for (const path of ["/v1/total", "/v1/history", "/v1/milestones"]) {
      const key = keyOf(path);
      // Authorization reaches the origin on GET only as part of the cache key ("forward the Authorization header": an
      // origin request policy may not carry it); the sign-in cookie likewise, so the dashboard's requests authenticate.
      expect(key.HeadersConfig, path).toEqual({ HeaderBehavior: "whitelist", Headers: ["Authorization"] });
      expect(key.CookiesConfig, path).toEqual({ CookieBehavior: "whitelist", Cookies: [sessionCookieName] });
      // Minimum TTL 0: CloudFront honours Cache-Control: private (it caches a private answer only for a minimum TTL
      // above 0, CachePolicyConfig).
      expect(policyOf(path).MinTTL, path).toBe(0);
    }
    expect(dashboardSessionCookie).toBe(sessionCookieName);
    // History and milestones take every query parameter (campaign, from, to, step).
    expect(keyOf("/v1/history").QueryStringsConfig).toEqual({ QueryStringBehavior: "all" });
  });

  it("passes /v1/live (WebSocket) and /v1/stream (SSE) through uncached with every query string, cookie and viewer header", () => {
    for (const path of ["/v1/live", "/v1/stream"])
      expect(behaviorFor(path)).toMatchObject({
        PathPattern: path,
        CachePolicyId: cachingDisabled,
        OriginRequestPolicyId: allViewerExceptHost,
        Compress: false,
      });
    const paths = config().CacheBehaviors.map((b: Behavior) => b.PathPattern);
    expect(paths.indexOf("/v1/total")).toBeLessThan(paths.indexOf("/v1/*"));
  });

  it("caches the viewer page and /widget.js briefly, and versioned assets by their ?v= for as long as the origin says", () => {
    for (const path of ["/", "/widget.js"]) {
      expect(policyOf(path), path).toMatchObject({ MinTTL: 30, MaxTTL: 300 });
      expect(keyOf(path).QueryStringsConfig, path).toEqual({ QueryStringBehavior: "none" });
    }
    // /static/viewer.js?v=<hash>: the version is the key, so a new page's URL never gets the old asset from the cache.
    const assets = policyOf("/static/viewer.js");
    expect(assets.ParametersInCacheKeyAndForwardedToOrigin.QueryStringsConfig).toEqual({
      QueryStringBehavior: "whitelist",
      QueryStrings: ["v"],
    });
    // A matching version is immutable for a year (the origin's Cache-Control); anything else is no-cache, which a
    // minimum TTL of 0 leaves uncached (an old task answering a new URL during a rolling deploy).
    const maxAge = Number(/max-age=(\d+)/.exec(immutableCache)?.[1]);
    expect(assets.MaxTTL).toBeGreaterThanOrEqual(maxAge);
    expect(assets.MinTTL).toBe(0);
  });

  it("guards /dashboard and /metrics at the edge, and lets the sign-in form post", () => {
    const [guardId] = only(serviceJson, "AWS::CloudFront::Function");
    const guard = [{ EventType: "viewer-request", FunctionARN: { "Fn::GetAtt": [guardId, "FunctionARN"] } }];
    expect(config().DefaultCacheBehavior.FunctionAssociations).toEqual(guard);
    for (const path of ["/dashboard", "/dashboard/sign-in"]) {
      const dashboard = behaviorFor(path);
      expect(dashboard).toMatchObject({ CachePolicyId: cachingDisabled, FunctionAssociations: guard });
      expect(dashboard.AllowedMethods).toEqual(expect.arrayContaining(["GET", "HEAD", "POST"]));
    }
    const [origin] = config().Origins;
    expect(origin.OriginCustomHeaders.map((h: { HeaderName: string }) => h.HeaderName)).toEqual(["X-Origin-Verify"]);
  });
});
