// The container's one entry point (`node dist/run.js <component> [args]`): the command selects the bundle, which then
// runs in this same process, so SIGTERM from `docker stop` or ECS reaches the component's own handlers directly.
export const components = ["ingest", "aggregator", "broadcaster", "reconcile", "healthcheck"] as const;

const name = process.argv[2];
if (name === undefined || !(components as readonly string[]).includes(name)) {
  process.stderr.write(`usage: run.js <${components.join("|")}> [args]; got ${name === undefined ? "nothing" : JSON.stringify(name)}\n`);
  process.exit(64);
}
// The component parses its own arguments (reconcile's --file) from process.argv.slice(2), as when started directly.
process.argv.splice(2, 1);
// Resolved at run time beside this file (dist/<name>.js), so esbuild does not copy every bundle into this one.
const bundle = new URL(`./${name}.js`, import.meta.url).href;
await import(bundle);
