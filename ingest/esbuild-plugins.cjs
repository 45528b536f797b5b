// esbuild plugins for `serverless package`: inlines core/lua/*.lua into the bundle, since core/scripts.ts reads
// them from disk next to its own module, which a single-file Lambda bundle does not have.
const { readdirSync, readFileSync } = require("node:fs");
const { join } = require("node:path");

const readLua = 'const lua = (file: string) => readFileSync(new URL(file, luaDir), "utf8");';

const inlineLua = {
  name: "inline-lua",
  setup(build) {
    build.onLoad({ filter: /[\\/]core[\\/]scripts\.ts$/ }, (args) => {
      const source = readFileSync(args.path, "utf8");
      if (!source.includes(readLua)) {
        // Fail the package loudly rather than ship a function that cannot find its scripts.
        throw new Error(`inline-lua: ${args.path} no longer contains the expected line: ${readLua}`);
      }
      const dir = join(args.path, "..", "lua");
      const files = Object.fromEntries(
        readdirSync(dir)
          .filter((f) => f.endsWith(".lua"))
          .map((f) => [f, readFileSync(join(dir, f), "utf8")]),
      );
      const inlined = `const inlinedLua: Record<string, string> = ${JSON.stringify(files)};\nconst lua = (file: string) => inlinedLua[file] ?? "";`;
      return { contents: source.replace(readLua, inlined), loader: "ts" };
    });
  },
};

module.exports = [inlineLua];
