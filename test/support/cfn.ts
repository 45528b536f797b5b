// Small readers over synthesized CloudFormation templates (aws-cdk-lib/assertions Template JSON) for the infra tests.
import { readFileSync } from "node:fs";
import { join } from "node:path";

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON, checked field by field in the tests
export type Resource = { Type: string; Properties: any; DependsOn?: unknown };
export type TemplateJson = { Resources: Record<string, Resource> };

export function ofType(template: TemplateJson, type: string): Array<[string, Resource]> {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

export function only(template: TemplateJson, type: string): [string, Resource] {
  const found = ofType(template, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0]!;
}

/** The inbound rules of every security group (inline and as separate resources): [groupRef, rule]. */
export function ingressRules(template: TemplateJson): Array<{ group: unknown; rule: Record<string, unknown> }> {
  const rules: Array<{ group: unknown; rule: Record<string, unknown> }> = [];
  for (const [id, r] of ofType(template, "AWS::EC2::SecurityGroup"))
    for (const rule of r.Properties.SecurityGroupIngress ?? []) rules.push({ group: { "Fn::GetAtt": [id, "GroupId"] }, rule });
  for (const [, r] of ofType(template, "AWS::EC2::SecurityGroupIngress")) rules.push({ group: r.Properties.GroupId, rule: r.Properties });
  return rules;
}

export function coversPort(rule: Record<string, unknown>, port: number): boolean {
  if (rule.IpProtocol === "-1") return true;
  return Number(rule.FromPort) <= port && port <= Number(rule.ToPort);
}

export function fromInternet(rule: Record<string, unknown>): boolean {
  return rule.CidrIp === "0.0.0.0/0" || rule.CidrIpv6 === "::/0";
}

/** serverless.yml's variable for /sales-counter/<stage> (params.default.ssmPrefix). */
const serverlessPrefix = ["$", "{param:ssmPrefix}"].join("");

/** The SSM parameter names serverless.yml reads (its resources' Parameters Defaults, serverless/parameters.yml) for a stage. */
export function serverlessSsmParameters(root: string, stage: string): Record<string, { name: string; type: string }> {
  const yml = readFileSync(join(root, "serverless/parameters.yml"), "utf8");
  const block = yml.slice(yml.indexOf("Parameters:"));
  const found: Record<string, { name: string; type: string }> = {};
  for (const m of block.matchAll(/^ {2}(\w+):\n {4}Type: (\S+)\n {4}Default: (\S+)$/gm)) {
    found[m[1]!] = { name: m[3]!.replace(serverlessPrefix, `/sales-counter/${stage}`), type: m[2]! };
  }
  return found;
}

export type Dimension = { Name: string; Value: string };

/** CloudWatch matches a metric by its dimensions as a set: the order they are listed in does not matter. */
export function sameDimensions(a: readonly Dimension[], b: readonly Dimension[]): boolean {
  const sorted = (d: readonly Dimension[]) => JSON.stringify([...d].sort((x, y) => x.Name.localeCompare(y.Name)));
  return sorted(a) === sorted(b);
}

/** What an alarm must name to read a metric of an EMF document: its namespace and its dimensions with their values. */
// biome-ignore lint/suspicious/noExplicitAny: a parsed EMF document (test/support/emf.ts checks the format itself)
export function emfTarget(doc: any): { namespace: string; dimensions: Dimension[]; metrics: string[] } {
  const [directive] = doc._aws.CloudWatchMetrics;
  return {
    namespace: directive.Namespace,
    dimensions: directive.Dimensions[0].map((key: string) => ({ Name: key, Value: doc[key] })),
    metrics: directive.Metrics.map((m: { Name: string }) => m.Name),
  };
}
