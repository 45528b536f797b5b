// The CloudFront distribution's behaviours (synthesized offline, checked with aws-cdk-lib/assertions): what each path
// keys its cache on, what reaches the origin, how long it is kept, and what stays off the edge.
import { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../infra/lib/sales-counter-app.js";
import { only, type TemplateJson } from "./support/cfn.js";

let serviceJson: TemplateJson;

beforeAll(() => {
  serviceJson = Template.fromStack(buildApp({ stage: "prod", region: "ap-northeast-2" }).service).toJSON() as TemplateJson;
}, 60_000);

describe("CloudFront", () => {
  const config = () => only(serviceJson, "AWS::CloudFront::Distribution")[1].Properties.DistributionConfig;
  const behavior = (path: string) => config().CacheBehaviors.find((b: { PathPattern: string }) => b.PathPattern === path);
  const policy = (ref: { Ref: string }) => serviceJson.Resources[ref.Ref]!.Properties.CachePolicyConfig;
  // Managed policy ids (CloudFront Developer Guide, "Use managed cache policies" / "managed origin request policies").
  const cachingDisabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
  const allViewerExceptHost = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

  it("caches /v1/total for at most a second, following the broadcaster's max-age, keyed by campaign", () => {
    const total = policy(behavior("/v1/total").CachePolicyId);
    expect(total).toMatchObject({ MinTTL: 0, DefaultTTL: 1, MaxTTL: 1 });
    expect(total.ParametersInCacheKeyAndForwardedToOrigin.QueryStringsConfig).toEqual({
      QueryStringBehavior: "whitelist",
      QueryStrings: ["campaign"],
    });
    const paths = config().CacheBehaviors.map((b: { PathPattern: string }) => b.PathPattern);
    expect(paths.indexOf("/v1/total")).toBeLessThan(paths.indexOf("/v1/*"));
  });

  it("passes /v1/live (WebSocket) and /v1/stream (SSE) through uncached with the viewer's headers", () => {
    for (const path of ["/v1/live", "/v1/stream"])
      expect(behavior(path)).toMatchObject({ CachePolicyId: cachingDisabled, OriginRequestPolicyId: allViewerExceptHost, Compress: false });
  });

  it("caches the viewer page and /widget.js briefly and guards /dashboard and /metrics at the edge", () => {
    expect(policy(config().DefaultCacheBehavior.CachePolicyId)).toMatchObject({ MinTTL: 30, MaxTTL: 300 });
    expect(policy(behavior("/widget.js").CachePolicyId)).toMatchObject({ MinTTL: 30 });
    const [guardId] = only(serviceJson, "AWS::CloudFront::Function");
    const guard = [{ EventType: "viewer-request", FunctionARN: { "Fn::GetAtt": [guardId, "FunctionARN"] } }];
    expect(config().DefaultCacheBehavior.FunctionAssociations).toEqual(guard);
    expect(behavior("/dashboard*")).toMatchObject({ CachePolicyId: cachingDisabled, FunctionAssociations: guard });
    const [origin] = config().Origins;
    expect(origin.OriginCustomHeaders.map((h: { HeaderName: string }) => h.HeaderName)).toEqual(["X-Origin-Verify"]);
  });
});
