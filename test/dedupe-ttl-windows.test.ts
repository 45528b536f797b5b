// The dedupe TTL outlives every window in which the deployed event sources can deliver a record again: a mark that
// expired before its record's last redelivery would count that payment twice. Windows as serverless.yml sets them;
// limits as AWS documents them (see docs/architecture.md, "How long a paymentId is remembered").
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { parseConfig } from "../core/config.js";

const root = join(import.meta.dirname, "..");
// serverless.yml and the resource files it includes (serverless/*.yml).
const yml = [
  join(root, "serverless.yml"),
  ...readdirSync(join(root, "serverless"))
    .filter((f) => f.endsWith(".yml"))
    .map((f) => join(root, "serverless", f)),
]
  .map((file) => readFileSync(file, "utf8"))
  .join("\n");

/** DEDUPE_TTL_SECONDS as the deployed functions get it: from serverless.yml's environment, or the config default. */
function deployedDedupeTtlSeconds(): number {
  const set = /^ {4}DEDUPE_TTL_SECONDS: "?(\d+)"?$/m.exec(yml)?.[1];
  return parseConfig(set === undefined ? {} : { DEDUPE_TTL_SECONDS: set }).dedupeTtlSeconds;
}

/** Every redelivery window serverless.yml configures, in seconds, by what sets it. */
function deployedWindows(): Array<[string, number]> {
  const windows: Array<[string, number]> = [];
  for (const m of yml.matchAll(/MessageRetentionPeriod: (\d+)/g)) windows.push(["SQS MessageRetentionPeriod", Number(m[1])]);
  for (const m of yml.matchAll(/RetentionPeriodHours: (\d+)/g)) windows.push(["Kinesis RetentionPeriodHours", Number(m[1]) * 3600]);
  for (const m of yml.matchAll(/maximumRecordAgeInSeconds: (-?\d+)/gi)) windows.push(["stream MaximumRecordAgeInSeconds", Number(m[1])]);
  for (const m of yml.matchAll(/maximumEventAge(?:InSeconds)?: (\d+)/gi))
    windows.push(["Lambda async MaximumEventAgeInSeconds", Number(m[1])]);
  return windows;
}

it("remembers a paymentId longer than any deployed event source can deliver its record again", () => {
  const ttl = deployedDedupeTtlSeconds();
  const windows = deployedWindows();
  // The queues and the stream are all there: the regular expressions still read this serverless.yml.
  expect(windows.filter(([what]) => what.startsWith("SQS")).length).toBeGreaterThanOrEqual(3);
  expect(windows.some(([what]) => what.startsWith("Kinesis"))).toBe(true);
  for (const [what, seconds] of windows) {
    // -1 (no maximum age) leaves the stream's retention as the window, checked above.
    if (seconds < 0) continue;
    expect(seconds, what).toBeLessThan(ttl);
  }
  // SQS keeps a message at most 1,209,600 s (14 days) from its first enqueue, also across a dead-letter redrive of a
  // standard queue (the enqueue timestamp is kept), and Lambda keeps an async event at most 6 h: the default TTL
  // (30 days) covers both whatever the settings; a Kinesis stream can keep records up to 8,760 h (365 days).
  expect(ttl).toBeGreaterThan(1_209_600 + 6 * 3600);
});

it("refuses a dedupe TTL under a minute and takes any longer one, up to a Kinesis stream's 365 days", () => {
  expect(() => parseConfig({ DEDUPE_TTL_SECONDS: "59" })).toThrow(/DEDUPE_TTL_SECONDS/);
  expect(parseConfig({ DEDUPE_TTL_SECONDS: String(8760 * 3600 + 86_400) }).dedupeTtlSeconds).toBe(8760 * 3600 + 86_400);
});
