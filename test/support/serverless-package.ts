// Runs `npm run package -- --stage <stage>` offline into a fresh directory, and evaluates the template's intrinsics.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll } from "vitest";

const exec = promisify(execFile);
export const root = join(import.meta.dirname, "../..");

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON, checked field by field by the tests
export type Json = any;
export interface Template {
  Resources: Record<string, { Type: string; Properties: Json; DependsOn?: Json }>;
  Parameters: Record<string, { Type: string; Default: string }>;
}
export interface Packaged {
  readonly dir: string;
  readonly output: string;
  readonly template: Template;
}

/**
 * Packages without AWS credentials or a profile. Runs under an exclusive lock: serverless-esbuild builds in the
 * service's .esbuild/ folder, so two test files packaging at once would overwrite each other's bundles.
 */
export async function packageService(stage: string): Promise<Packaged> {
  const dir = mkdtempSync(join(tmpdir(), `sls-${stage}-`));
  const home = mkdtempSync(join(tmpdir(), "sls-home-"));
  const env = { ...process.env, AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "", AWS_PROFILE: "", HOME: home };
  const args = [join(root, ".serverless-package.lock"), "npm", "run", "package", "--", "--stage", stage, "--package", dir];
  const result = await exec("flock", args, { cwd: root, env, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }).finally(() =>
    rmSync(home, { recursive: true, force: true }),
  );
  const template = JSON.parse(readFileSync(join(dir, "cloudformation-template-update-stack.json"), "utf8")) as Template;
  return { dir, output: `${result.stdout}\n${result.stderr}`, template };
}

/** The four functions serverless.yml declares, by their names in it. */
export const functionNames = ["ingestHttp", "ingestQueue", "ingestStream", "ingestEvent"] as const;

/** The package of one stage for a test file: built in beforeAll, removed in afterAll, read through these helpers. */
export class PackagedService {
  packaged: Packaged | undefined;

  get template(): Template {
    if (!this.packaged) throw new Error("the service is not packaged yet (read it inside a test)");
    return this.packaged.template;
  }

  get output(): string {
    return this.packaged?.output ?? "";
  }

  resource(name: string): Template["Resources"][string] {
    const r = this.template.Resources[name];
    if (!r) throw new Error(`no resource ${name} in the template; have ${Object.keys(this.template.Resources).join(", ")}`);
    return r;
  }

  /** A function's properties, by its name in serverless.yml (the Framework names it <Name>LambdaFunction). */
  functionProperties(name: string): Json {
    return this.resource(`${name[0]!.toUpperCase()}${name.slice(1)}LambdaFunction`).Properties;
  }

  ofType(type: string): Template["Resources"][string][] {
    return Object.values(this.template.Resources).filter((r) => r.Type === type);
  }
}

/** Packages `stage` once for the calling test file and removes the package after its tests. */
export function usePackagedService(stage: string): PackagedService {
  const service = new PackagedService();
  beforeAll(async () => {
    service.packaged = await packageService(stage);
  }, 200_000);
  afterAll(() => {
    if (service.packaged) rmSync(service.packaged.dir, { recursive: true, force: true });
  });
  return service;
}

/** What CloudFormation resolves at deploy time: pseudo parameters and the stack's parameters. */
export type Context = Record<string, string>;

/**
 * Evaluates Ref, Fn::Sub, Fn::Join, Fn::Split, Fn::Select and Fn::GetAtt (as "<resource>.<attribute>") the way
 * CloudFormation does, so a test can check the ARN a policy really names for a given account, partition and cluster.
 */
export function evaluate(value: Json, context: Context): Json {
  if (Array.isArray(value)) return value.map((v) => evaluate(v, context));
  if (typeof value !== "object" || value === null) return value;
  const keys = Object.keys(value);
  if (keys.length !== 1) return Object.fromEntries(keys.map((k) => [k, evaluate(value[k], context)]));
  const [key] = keys as [string];
  const arg = value[key];
  const lookup = (name: string) => {
    if (!(name in context)) throw new Error(`no value for ${name} in the evaluation context`);
    return context[name]!;
  };
  switch (key) {
    case "Ref":
      return lookup(arg);
    case "Fn::GetAtt":
      return lookup(`${arg[0]}.${arg[1]}`);
    case "Fn::Sub":
      return String(arg).replace(/\$\{([^}]+)\}/g, (_, name: string) => lookup(name));
    case "Fn::Join":
      return (evaluate(arg[1], context) as string[]).join(arg[0]);
    case "Fn::Split":
      return String(evaluate(arg[1], context)).split(arg[0]);
    case "Fn::Select":
      return (evaluate(arg[1], context) as Json[])[Number(arg[0])];
    default:
      return { [key]: evaluate(arg, context) };
  }
}

/** Every statement of a role's inline policies. */
export function statementsOf(template: Template, role: string): Json[] {
  return (template.Resources[role]?.Properties.Policies ?? []).flatMap((p: Json) => p.PolicyDocument.Statement);
}
