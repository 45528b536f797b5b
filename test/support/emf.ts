// Reads CloudWatch Embedded Metric Format documents out of a process's stdout and checks each against the EMF specification
// (Amazon CloudWatch User Guide, "Specification: Embedded metric format"): the structure as a JSON schema, and the rules a
// schema cannot say (every dimension and metric reference names a member of the root node, of the right type).
import { Ajv } from "ajv";

export interface EmfDirective {
  readonly Namespace: string;
  readonly Dimensions: string[][];
  readonly Metrics: { Name: string; Unit?: string; StorageResolution?: number }[];
}

export interface EmfDocument {
  readonly _aws: { readonly Timestamp: number; readonly CloudWatchMetrics: EmfDirective[] };
  readonly [member: string]: unknown;
}

// Units a MetricDefinition may name: the CloudWatch MetricDatum units (the specification refers to them).
const units = [
  "Seconds",
  "Microseconds",
  "Milliseconds",
  "Bytes",
  "Kilobytes",
  "Megabytes",
  "Gigabytes",
  "Terabytes",
  "Bits",
  "Kilobits",
  "Megabits",
  "Gigabits",
  "Terabits",
  "Percent",
  "Count",
  "Bytes/Second",
  "Kilobytes/Second",
  "Megabytes/Second",
  "Gigabytes/Second",
  "Terabytes/Second",
  "Bits/Second",
  "Kilobits/Second",
  "Megabits/Second",
  "Gigabits/Second",
  "Terabits/Second",
  "Count/Second",
  "None",
];

const name = { type: "string", minLength: 1, maxLength: 255 };

// Objects the specification defines "MUST NOT contain any additional members" (the root node may).
const schema = {
  type: "object",
  required: ["_aws"],
  properties: {
    _aws: {
      type: "object",
      required: ["Timestamp", "CloudWatchMetrics"],
      additionalProperties: false,
      properties: {
        // Milliseconds after 1970-01-01T00:00:00Z.
        Timestamp: { type: "integer", minimum: 0 },
        // Optional, read by the CloudWatch agent only.
        LogGroupName: { type: "string" },
        CloudWatchMetrics: {
          type: "array",
          items: {
            type: "object",
            required: ["Namespace", "Dimensions", "Metrics"],
            additionalProperties: false,
            properties: {
              Namespace: name,
              // A DimensionSet holds at most 30 dimension keys and may be empty.
              Dimensions: { type: "array", items: { type: "array", maxItems: 30, items: name } },
              Metrics: {
                type: "array",
                maxItems: 100,
                items: {
                  type: "object",
                  required: ["Name"],
                  additionalProperties: false,
                  properties: { Name: name, Unit: { enum: units }, StorageResolution: { enum: [1, 60] } },
                },
              },
            },
          },
        },
      },
    },
  },
};

const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);

/** The problems of one document under the specification; empty when it is valid. */
export function emfProblems(doc: unknown): string[] {
  if (!validate(doc)) return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
  const root = doc as EmfDocument;
  const problems: string[] = [];
  for (const directive of root._aws.CloudWatchMetrics) {
    for (const key of directive.Dimensions.flat()) {
      // A dimension target MUST be a member of the root node with a string value.
      if (typeof root[key] !== "string") problems.push(`dimension "${key}" has no string member on the root node`);
    }
    for (const { Name } of directive.Metrics) {
      // A metric target MUST be a number or an array of at most 100 numbers.
      const value = root[Name];
      const ok =
        (typeof value === "number" && Number.isFinite(value)) ||
        (Array.isArray(value) && value.length <= 100 && value.every((v) => typeof v === "number" && Number.isFinite(v)));
      if (!ok) problems.push(`metric "${Name}" has no numeric member (or array of at most 100 numbers) on the root node`);
    }
  }
  return problems;
}

/**
 * Every stdout line that is an EMF document (a JSON object with `_aws`), each checked: a line that mentions `_aws` but
 * is not a valid document throws, so a broken line cannot pass for "no metrics". Other lines (logs) are skipped.
 */
export function emfDocuments(stdout: string): EmfDocument[] {
  const docs: EmfDocument[] = [];
  for (const line of stdout.split("\n")) {
    if (!line.includes('"_aws"')) continue;
    // The LogEvent message MUST be one JSON object with nothing before or after it.
    const doc = JSON.parse(line) as unknown;
    const problems = emfProblems(doc);
    if (problems.length > 0) throw new Error(`not a valid EMF document (${problems.join("; ")}): ${line}`);
    docs.push(doc as EmfDocument);
  }
  return docs;
}

/** The dimension sets of a document's directives, each as the sorted list of its keys. */
export const dimensionSetsOf = (doc: EmfDocument): string[][] =>
  doc._aws.CloudWatchMetrics.flatMap((d) => d.Dimensions.map((set) => [...set].sort()));

/** The metric names a document defines, with their units. */
export const metricsOf = (doc: EmfDocument): Record<string, string | undefined> =>
  Object.fromEntries(doc._aws.CloudWatchMetrics.flatMap((d) => d.Metrics.map((m) => [m.Name, m.Unit])));

/** The sum of a metric over documents (a value or an array of values each). */
export function sumOf(docs: readonly EmfDocument[], metric: string): number {
  let sum = 0;
  for (const doc of docs) {
    const value = doc[metric];
    if (typeof value === "number") sum += value;
    else if (Array.isArray(value)) sum += value.reduce((a: number, b: number) => a + b, 0);
  }
  return sum;
}
