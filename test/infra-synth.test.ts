// `npm run synth` works offline: no AWS credentials, no network, no context lookups; both templates land in the
// output directory and parameters arrive with -c key=value as with the CDK CLI.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const exec = promisify(execFile);
const root = join(import.meta.dirname, "..");
const home = mkdtempSync(join(tmpdir(), "sc-synth-home-"));
const outdir = mkdtempSync(join(tmpdir(), "sc-synth-out-"));
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  rmSync(outdir, { recursive: true, force: true });
});

describe("npm run synth", () => {
  it("synthesizes both stacks without credentials or lookups, with parameters from -c", async () => {
    const env = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: home,
      AWS_ACCESS_KEY_ID: "",
      AWS_SECRET_ACCESS_KEY: "",
      AWS_PROFILE: "",
      // Where the CDK CLI would point the app; here it keeps the test's output out of infra/cdk.out.
      CDK_OUTDIR: outdir,
    };
    await exec("npm", ["run", "synth", "--", "-c", "stage=qa", "-c", "redisShards=4"], { cwd: root, env, timeout: 120_000 });
    const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as {
      missing?: unknown[];
      artifacts: Record<string, unknown>;
    };
    // A lookup the app needed would be listed as missing context.
    expect(manifest.missing ?? []).toEqual([]);
    for (const stack of ["sales-counter-qa-data", "sales-counter-qa-service"])
      expect(existsSync(join(outdir, `${stack}.template.json`))).toBe(true);
    const data = readFileSync(join(outdir, "sales-counter-qa-data.template.json"), "utf8");
    expect(data).toContain('"NumNodeGroups": 4');
    expect(data).toContain("/sales-counter/qa/redis-cluster-nodes");
  }, 130_000);

  it("names a bad parameter and exits 78 without writing templates", async () => {
    const out = mkdtempSync(join(outdir, "bad-"));
    const failed = exec("npm", ["run", "synth", "--", "-c", "redisReplicasPerShard=0"], {
      cwd: root,
      env: { PATH: process.env.PATH ?? "", HOME: home, CDK_OUTDIR: out },
    });
    await expect(failed).rejects.toMatchObject({ code: 78, stderr: expect.stringContaining("redisReplicasPerShard") });
    expect(existsSync(join(out, "manifest.json"))).toBe(false);
  }, 60_000);
});
