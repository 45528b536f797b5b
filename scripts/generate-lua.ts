// npm run generate:lua: rebuilds core/store/lua-scripts.generated.ts from the .lua files (includes resolved).
import { writeFileSync } from "node:fs";
import { buildLuaScripts, generatedModule, renderScriptsModule } from "../core/store/lua-build.js";

const scripts = buildLuaScripts();
writeFileSync(generatedModule, renderScriptsModule(scripts));
for (const s of scripts) console.log(`${s.name.padEnd(16)} ${s.file.padEnd(28)} keys=${s.numberOfKeys ?? "n"} v${s.version}`);
