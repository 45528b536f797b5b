// `npm run build`: bundles each long-running entry point into dist/ for plain `node dist/<name>.js` with production dependencies only.
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Metafile } from "esbuild";
import { writePageBuild } from "../broadcaster/routes/pages-bundle.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const outdir = join(root, "dist");

/** dist/<name>.js ← source entry. Each is what the container command selects (see Dockerfile). */
export const entryPoints: Record<string, string> = {
  ingest: "ingest/local/main.ts",
  aggregator: "aggregator/main.ts",
  broadcaster: "broadcaster/main.ts",
  reconcile: "reconcile/main.ts",
  healthcheck: "scripts/healthcheck.ts",
  run: "scripts/run-component.ts",
  "check-uws-native": "scripts/check-uws-native.ts",
};

const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { dependencies: Record<string, string> };

/** "ioredis/built/x" → "ioredis", "@aws-sdk/client-ssm" → "@aws-sdk/client-ssm". */
function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? `${parts[0]}/${parts[1]}` : (parts[0] ?? specifier);
}

/**
 * Packages stay external (resolved from node_modules at run time, exactly as under tsx): uWebSockets.js is native, ioredis,
 * pino and prom-client are CommonJS, and uplot is read from its package directory. So every package the bundles import must
 * be a production dependency, or `npm ci --omit=dev` would leave it out: checked here rather than found at the sale.
 */
function checkExternals(metafile: Metafile): string[] {
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  const problems = new Set<string>();
  for (const [output, info] of Object.entries(metafile.outputs)) {
    for (const imp of info.imports) {
      if (!imp.external || builtins.has(imp.path)) continue;
      const name = packageName(imp.path);
      if (pkg.dependencies[name] === undefined) problems.add(`${output} imports "${imp.path}", which is not in "dependencies"`);
    }
  }
  return [...problems];
}

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: Object.fromEntries(Object.entries(entryPoints).map(([name, entry]) => [name, join(root, entry)])),
  outdir,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: "linked",
  // Readable stack traces and log lines in production; the bundles are small without minifying.
  minify: false,
  metafile: true,
  logLevel: "warning",
  outExtension: { ".js": ".js" },
});
const problems = checkExternals(result.metafile);
if (problems.length > 0) {
  process.stderr.write(`build: ${problems.join("\n       ")}\n`);
  process.exit(1);
}
// The broadcaster reads its pages from public/ beside its module (broadcaster/routes/pages-assets.ts), and their built
// scripts and stylesheets from public/build (so the image needs no esbuild: broadcaster/routes/pages-bundle.ts).
cpSync(join(root, "broadcaster", "public"), join(outdir, "public"), { recursive: true });
writePageBuild(join(outdir, "public", "build"));
writeFileSync(join(outdir, "meta.json"), JSON.stringify(result.metafile));
const sizes = Object.entries(result.metafile.outputs)
  .filter(([file]) => file.endsWith(".js"))
  .map(([file, info]) => `${file} ${(info.bytes / 1024).toFixed(0)} KiB`);
process.stdout.write(`built ${sizes.join(", ")}\n`);
