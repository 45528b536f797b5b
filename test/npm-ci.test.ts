// `npm ci` is what every CI and container build runs: the lockfile must satisfy it as committed, on a fresh clone.
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const exec = promisify(execFile);
const root = join(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "sc-npm-ci-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("npm ci", () => {
  it("accepts the committed package.json and package-lock.json together, with no fallback to npm install", async () => {
    copyFileSync(join(root, "package.json"), join(dir, "package.json"));
    copyFileSync(join(root, "package-lock.json"), join(dir, "package-lock.json"));
    // --dry-run checks that the lockfile is in sync with package.json (what `npm ci` refuses on) without downloading.
    const { stdout } = await exec("npm", ["ci", "--dry-run", "--ignore-scripts", "--no-audit", "--no-fund"], {
      cwd: dir,
      timeout: 120_000,
    });
    expect(stdout).toMatch(/added \d+ packages/);
  }, 130_000);

  it("is what .ci/run runs, without a fallback", async () => {
    const { readFile } = await import("node:fs/promises");
    const script = await readFile(join(root, ".ci/run"), "utf8");
    expect(script).toMatch(/^npm ci /m);
    expect(script).not.toMatch(/npm install/);
  });
});
