// Reads a Dockerfile into stages and instructions (the subset this project's Dockerfile uses), so a test can perform
// the image's steps without a Docker engine and cannot drift from the file. Syntax per the Dockerfile reference:
// `\` continues a line, `#` starts a comment line, ARG before FROM is global, JSON arrays are the exec form.

export interface Instruction {
  readonly keyword: string;
  /** Flags such as --from=build or --mount=... (before the arguments). */
  readonly flags: Readonly<Record<string, string>>;
  readonly args: string;
  readonly line: number;
}

export interface Stage {
  readonly name: string;
  readonly image: string;
  readonly instructions: readonly Instruction[];
}

export interface Dockerfile {
  readonly globalArgs: Readonly<Record<string, string>>;
  readonly stages: readonly Stage[];
}

export function parseDockerfile(text: string): Dockerfile {
  const logical: Array<{ text: string; line: number }> = [];
  let pending: { text: string; line: number } | undefined;
  text.split("\n").forEach((raw, index) => {
    const trimmed = raw.trim();
    if (pending === undefined && (trimmed === "" || trimmed.startsWith("#"))) return;
    if (pending !== undefined && trimmed.startsWith("#")) return;
    const continued = trimmed.endsWith("\\");
    const part = continued ? trimmed.slice(0, -1).trim() : trimmed;
    pending = pending === undefined ? { text: part, line: index + 1 } : { text: `${pending.text} ${part}`, line: pending.line };
    if (!continued) {
      logical.push(pending);
      pending = undefined;
    }
  });

  const globalArgs: Record<string, string> = {};
  const stages: Array<{ name: string; image: string; instructions: Instruction[] }> = [];
  for (const { text: lineText, line } of logical) {
    const match = /^(\S+)\s*(.*)$/.exec(lineText);
    if (!match) continue;
    const keyword = match[1]!.toUpperCase();
    let rest = match[2] ?? "";
    const flags: Record<string, string> = {};
    // HEALTHCHECK options come before CMD, COPY/RUN flags before the arguments.
    for (;;) {
      const flag = /^--([a-z-]+)=(\S+)\s*/.exec(rest);
      if (!flag) break;
      flags[flag[1]!] = flag[2]!;
      rest = rest.slice(flag[0].length);
    }
    if (keyword === "ARG" && stages.length === 0) {
      const [name, value = ""] = rest.split("=");
      globalArgs[name!.trim()] = value.trim();
      continue;
    }
    if (keyword === "FROM") {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      if (!from) throw new Error(`Dockerfile line ${line}: cannot read FROM ${rest}`);
      stages.push({ name: from[2] ?? String(stages.length), image: substitute(from[1]!, globalArgs), instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`Dockerfile line ${line}: ${keyword} before FROM`);
    stage.instructions.push({ keyword, flags, args: rest, line });
  }
  return { globalArgs, stages };
}

/** ${NAME} and $NAME from the given variables. */
export function substitute(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => vars[(a ?? b)!] ?? "");
}

/** The exec form ["a", "b"] as an array; the shell form is refused (it would put /bin/sh between Docker and node). */
export function execForm(args: string, what: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === "string")) throw new Error(`${what} is not in exec form: ${args}`);
  return parsed;
}

/** ENV a=1 b=2 (values without spaces, as this Dockerfile writes them). */
export function envPairs(args: string): Record<string, string> {
  return Object.fromEntries(
    args
      .split(/\s+/)
      .filter(Boolean)
      .map((pair) => {
        const at = pair.indexOf("=");
        if (at < 1) throw new Error(`ENV ${args}: use the key=value form`);
        return [pair.slice(0, at), pair.slice(at + 1)];
      }),
  );
}

export function stage(file: Dockerfile, name: string): Stage {
  const found = file.stages.find((s) => s.name === name);
  if (!found) throw new Error(`no stage ${name}; have ${file.stages.map((s) => s.name).join(", ")}`);
  return found;
}

/** The last value of an instruction in a stage (CMD, ENTRYPOINT, USER, ...), or undefined. */
export function last(s: Stage, keyword: string): Instruction | undefined {
  return s.instructions.filter((i) => i.keyword === keyword).at(-1);
}
