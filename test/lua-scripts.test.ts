// The Lua scripts as the store ships them: generated from core/store/lua with includes resolved, key counts from the
// file names, versions from the content, and the reference scripts kept off production connections.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeRedis, createRedis, type RedisClient } from "../core/redis.js";
import { commandOf, registerReferenceScripts, registerScripts, runScript } from "../core/store/commands.js";
import { buildLuaScripts, generatedModule, luaRoot, renderScriptsModule } from "../core/store/lua-build.js";
import { luaScripts } from "../core/store/lua-scripts.generated.js";
import { RedisServer } from "./support/redis-server.js";

let server: RedisServer;
let redis: RedisClient;
beforeAll(async () => {
  server = await RedisServer.start();
  redis = createRedis({ redisUrl: server.url, redisClusterNodes: undefined }, { name: "test" });
});
afterAll(async () => {
  await closeRedis(redis);
  await server.stop();
});

describe("Lua scripts", () => {
  it("ships a generated module that matches the .lua files (run `npm run generate:lua` after changing one)", () => {
    expect(readFileSync(generatedModule, "utf8")).toBe(renderScriptsModule(buildLuaScripts()));
  });

  it("resolves every include, so the counting body exists once and both counting scripts carry it", () => {
    for (const script of Object.values(luaScripts)) expect(script.lua).not.toMatch(/^--- @include/m);
    const body = readFileSync(new URL("includes/count-group.lua", luaRoot), "utf8").trim();
    expect(luaScripts.countPayments.lua).toContain(body);
    expect(luaScripts.countPayment.lua).toContain(body);
  });

  it("takes the key count from the file name", async () => {
    expect(luaScripts.publishSnapshot.numberOfKeys).toBe(3);
    expect(luaScripts.countPayment.numberOfKeys).toBe(2);
    expect(luaScripts.countPayments.numberOfKeys).toBeUndefined();
    await expect(runScript(redis, "publishSnapshot", ["only-one-key"], [])).rejects.toThrow(/takes 3 keys/);
  });

  it("derives the command version from the final text: a changed script runs under a new name", () => {
    const dir = mkdtempSync(join(tmpdir(), "sc-lua-"));
    try {
      cpSync(luaRoot, dir, { recursive: true });
      const include = join(dir, "includes", "holds-lease.lua");
      writeFileSync(include, `${readFileSync(include, "utf8")}\n-- changed\n`);
      const changed = buildLuaScripts(pathToFileURL(`${dir}/`));
      const byName = Object.fromEntries(changed.map((s) => [s.name, s.version]));
      // Both scripts that include the changed fragment get new versions; the others keep theirs.
      expect(byName.publishSnapshot).not.toBe(commandOf("publishSnapshot").split("_").at(-1));
      expect(byName.recordHistory).not.toBe(commandOf("recordHistory").split("_").at(-1));
      expect(byName.countPayments).toBe(commandOf("countPayments").split("_").at(-1));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("registers the reference scripts only where asked: never on a production connection", async () => {
    const production = registerScripts(createRedis({ redisUrl: server.url, redisClusterNodes: undefined }, { name: "prod" }));
    try {
      const commands = production as unknown as Record<string, unknown>;
      expect(typeof commands[commandOf("countPayments")]).toBe("function");
      expect(commands[commandOf("countPayment")]).toBeUndefined();
      await expect(runScript(production, "countPayment", ["a", "b"], [])).rejects.toThrow(/reference script/);
      registerReferenceScripts(production);
      expect(typeof commands[commandOf("countPayment")]).toBe("function");
    } finally {
      await closeRedis(production);
    }
  });
});
