// The image's runtime without Docker: a Debian 13 trixie root made by debootstrap into a cache directory (kept between runs),
// with the image's Node from the npm registry's node-linux-<arch> package and npm from the npm package, entered with chroot(8)
// (/proc and /dev bind-mounted, the network shared). For test/image-runtime.test.ts; needs root.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { RuntimeHost } from "./built-image.js";

const exec = promisify(execFile);

/** The official node images' PATH (node and npm live in /usr/local there too). */
const imagePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** npm major bundled with each Node major (nodejs.org release table): the image has that npm. */
const npmMajorOf: Record<string, string> = { "20": "10", "22": "10", "24": "11" };

export interface TrixieRootOptions {
  /** Where the root and the downloaded packages are kept (reused when present). */
  readonly cacheDir: string;
  /** The Node major of the image (the Dockerfile's NODE_VERSION). */
  readonly nodeMajor: string;
  /** Progress lines (minutes of downloads otherwise look like a hang). */
  readonly log: (line: string) => void;
}

async function run(file: string, args: string[], timeoutMs = 900_000, env?: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await exec(file, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: env ?? process.env });
  return stdout;
}

async function hasCommand(name: string): Promise<boolean> {
  return exec("sh", ["-c", `command -v ${name}`]).then(
    () => true,
    () => false,
  );
}

/** The Debian mirror this machine's apt uses (deb822 or one-line sources), or undefined for debootstrap's default. */
function hostDebianMirror(): string | undefined {
  for (const file of ["/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"]) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, "utf8");
    const deb822 = /^URIs:\s*(\S+\/debian)\s*$/m.exec(text);
    if (deb822) return deb822[1];
    const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\s/m.exec(text);
    if (oneLine) return oneLine[1];
  }
  return undefined;
}

async function isMountPoint(path: string): Promise<boolean> {
  return exec("mountpoint", ["-q", path]).then(
    () => true,
    () => false,
  );
}

export class TrixieRoot implements RuntimeHost {
  /** Output of every RUN step, in order (the guard prints which uWS build it loaded). */
  readonly runOutput: string[] = [];

  private constructor(
    readonly root: string,
    readonly nodeVersion: string,
    /** Extra environment of RUN steps only (this machine's CA for npm, when it has one). */
    private readonly buildEnv: Readonly<Record<string, string>>,
  ) {}

  /** Debootstraps trixie (once), installs the image's Node and npm (once per version), and mounts /proc and /dev. */
  static async prepare(options: TrixieRootOptions): Promise<TrixieRoot> {
    const { cacheDir, nodeMajor, log } = options;
    const root = join(cacheDir, "trixie");
    const ready = join(root, ".sales-counter-debootstrap-done");
    mkdirSync(cacheDir, { recursive: true });
    if (!existsSync(ready)) {
      if (!(await hasCommand("debootstrap"))) {
        log("installing debootstrap (apt-get)");
        await run("apt-get", ["update", "-qq"]);
        await run("apt-get", ["install", "-y", "-qq", "debootstrap"], 900_000, { ...process.env, DEBIAN_FRONTEND: "noninteractive" });
      }
      for (const sub of ["proc", "dev"]) {
        if (await isMountPoint(join(root, sub))) throw new Error(`${root}/${sub} is mounted: unmount it before rebuilding the root`);
      }
      rmSync(root, { recursive: true, force: true });
      const mirror = hostDebianMirror();
      log(`debootstrap --variant=minbase trixie ${root} ${mirror ?? "(debootstrap's default mirror)"}: a few minutes`);
      await run("debootstrap", ["--variant=minbase", "trixie", root, ...(mirror ? [mirror] : [])], 1_200_000);
      writeFileSync(ready, `${new Date().toISOString()}\n`);
    }
    const nodeVersion = await TrixieRoot.installNode(root, cacheDir, nodeMajor, log);
    // The chroot resolves names as this machine does (npm reaches the registry through the shared network).
    copyFileSync("/etc/resolv.conf", join(root, "etc", "resolv.conf"));
    // A machine whose egress to the registry is re-signed by its own CA trusts it through NODE_EXTRA_CA_CERTS; the RUN steps
    // (npm) get the same file, as a Docker build on such a machine would need. Containers do not: they reach only Redis.
    const buildEnv: Record<string, string> = {};
    const extraCa = process.env.NODE_EXTRA_CA_CERTS;
    if (extraCa && existsSync(extraCa)) {
      copyFileSync(extraCa, join(root, "etc", "build-host-ca.pem"));
      buildEnv.NODE_EXTRA_CA_CERTS = "/etc/build-host-ca.pem";
    }
    const trixie = new TrixieRoot(root, nodeVersion, buildEnv);
    await trixie.mount();
    return trixie;
  }

  /** node-linux-<arch>@<major> (its bin/node) into /usr/local/bin, and npm@<bundled major> into /usr/local/lib/node_modules. */
  private static async installNode(root: string, cacheDir: string, nodeMajor: string, log: (line: string) => void): Promise<string> {
    const nodeBin = join(root, "usr", "local", "bin", "node");
    const marker = join(root, "usr", "local", `.node-${nodeMajor}`);
    if (!existsSync(marker) || !existsSync(nodeBin)) {
      const downloads = join(cacheDir, "packages");
      mkdirSync(downloads, { recursive: true });
      const pack = async (spec: string) => {
        log(`npm pack ${spec}`);
        const out = await run("npm", ["pack", spec, "--pack-destination", downloads, "--silent"], 900_000);
        return join(downloads, out.trim().split("\n").at(-1)!);
      };
      const nodeTgz = await pack(`node-linux-${process.arch}@${nodeMajor}`);
      const npmTgz = await pack(`npm@${npmMajorOf[nodeMajor] ?? "11"}`);
      mkdirSync(join(root, "usr", "local", "bin"), { recursive: true });
      await run("tar", ["-xzf", nodeTgz, "-C", join(root, "usr", "local", "bin"), "--strip-components=2", "package/bin/node"]);
      const npmDir = join(root, "usr", "local", "lib", "node_modules", "npm");
      rmSync(npmDir, { recursive: true, force: true });
      mkdirSync(npmDir, { recursive: true });
      await run("tar", ["-xzf", npmTgz, "-C", npmDir, "--strip-components=1"]);
      for (const [name, target] of [
        ["npm", "../lib/node_modules/npm/bin/npm-cli.js"],
        ["npx", "../lib/node_modules/npm/bin/npx-cli.js"],
      ] as const) {
        rmSync(join(root, "usr", "local", "bin", name), { force: true });
        symlinkSync(target, join(root, "usr", "local", "bin", name));
      }
      for (const old of readdirSync(join(root, "usr", "local")).filter((f) => f.startsWith(".node-")))
        rmSync(join(root, "usr", "local", old));
      writeFileSync(marker, "");
    }
    return (await run("chroot", [root, "/usr/local/bin/node", "--version"])).trim();
  }

  private async mount(): Promise<void> {
    for (const sub of ["proc", "dev"]) {
      const target = join(this.root, sub);
      mkdirSync(target, { recursive: true });
      if (!(await isMountPoint(target))) await run("mount", ["--bind", `/${sub}`, target]);
    }
  }

  async unmount(): Promise<void> {
    for (const sub of ["dev", "proc"]) {
      const target = join(this.root, sub);
      if (await isMountPoint(target)) await run("umount", [target]);
    }
  }

  /** Removes what an earlier run left at an image path (the image's WORKDIR, before its steps are performed again). */
  clear(path: string): void {
    if (!path.startsWith("/") || ["/", "/proc", "/dev"].includes(path)) throw new Error(`refusing to clear ${path}`);
    rmSync(join(this.root, path), { recursive: true, force: true });
  }

  /** A command inside the root as root, e.g. the C library's version. */
  async exec(argv: string[], env: Record<string, string> = {}): Promise<string> {
    return run("chroot", [this.root, "/usr/bin/env", "-i", `PATH=${imagePath}`, "HOME=/root", ...envArgs(env), ...argv]);
  }

  /** glibc of the root, as Node reports it (process.report's header). */
  async glibcVersion(): Promise<string> {
    return (await this.exec(["node", "-p", "process.report.getReport().header.glibcVersionRuntime"])).trim();
  }

  async run(command: string, workdir: string, env: Readonly<Record<string, string>>): Promise<void> {
    // As Docker runs RUN: /bin/sh -c as root in WORKDIR, HOME=/root (npm's cache there stays in the cached root).
    const out = await this.exec(["/usr/bin/env", "-C", workdir, "/bin/sh", "-c", command], { ...this.buildEnv, ...env });
    this.runOutput.push(out);
  }

  spawn(argv: string[], workdir: string, env: Record<string, string>, user: { uid: number; gid: number } | undefined): ChildProcess {
    const userspec = user ? [`--userspec=${user.uid}:${user.gid}`] : [];
    // chroot(8) and env(1) exec in turn, so the child's pid is node's and SIGTERM reaches it as `docker stop` would.
    return spawn(
      "chroot",
      [...userspec, this.root, "/usr/bin/env", "-i", "-C", workdir, ...envArgs({ ...env, PATH: imagePath }), ...argv],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
  }
}

function envArgs(env: Record<string, string>): string[] {
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}
