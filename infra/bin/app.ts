// `npm run synth [-- -c key=value ...]` or `cdk --app "npx tsx infra/bin/app.ts"`: synthesizes the CloudFormation templates
// into infra/cdk.out (or the CLI's output directory) offline.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ParameterError } from "../lib/parameters.js";
import { buildApp } from "../lib/sales-counter-app.js";

/** `-c key=value` / `--context key=value` pairs, as the CDK CLI takes them. */
function contextFromArgs(args: readonly string[]): Record<string, string> {
  const context: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    if (args[i] !== "-c" && args[i] !== "--context") continue;
    const pair = args[++i] ?? "";
    const at = pair.indexOf("=");
    if (at < 1) throw new ParameterError([`${args[i - 1]} ${pair}: expected key=value`]);
    context[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return context;
}

try {
  // Under the CDK CLI, context and the output directory arrive through CDK_CONTEXT_JSON / CDK_OUTDIR, which App reads.
  const outdir = process.env.CDK_OUTDIR ?? join(fileURLToPath(new URL("..", import.meta.url)), "cdk.out");
  const { app } = buildApp(contextFromArgs(process.argv.slice(2)), outdir);
  const assembly = app.synth();
  if (process.env.CDK_OUTDIR === undefined)
    process.stdout.write(`synthesized ${assembly.stacks.map((s) => s.stackName).join(", ")} into ${assembly.directory}\n`);
} catch (err) {
  if (err instanceof ParameterError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(78);
  }
  throw err;
}
