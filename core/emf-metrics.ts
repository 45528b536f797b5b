// CloudWatch metrics from long-running containers: one Embedded Metric Format document per interval on stdout.
// On ECS the awslogs driver sends each stdout line to CloudWatch Logs with PutLogEvents, and CloudWatch extracts the
// metrics of a line that is an EMF document (CloudWatch User Guide: "Specification: Embedded metric format" and
// "Using the PutLogEvents API to send manually-created embedded metric format logs"). No agent, no SDK call per sample.

export type EmfUnit = "Count" | "Seconds" | "Milliseconds" | "None";

export interface EmfSample {
  readonly value: number;
  readonly unit: EmfUnit;
}

export interface EmfPublisherOptions {
  readonly namespace: string;
  /** One dimension set, e.g. { Stage: "prod", Service: "broadcaster" }: every task of a service reports under it. */
  readonly dimensions: Readonly<Record<string, string>>;
  readonly intervalMs: number;
  /** The current values; a metric left out (no value yet) is not reported for this interval. */
  readonly sample: () => Readonly<Record<string, EmfSample | undefined>>;
  /** Where the line goes; process.stdout by default. */
  readonly write?: (line: string) => void;
  readonly now?: () => number;
}

/** Builds one EMF document (a single JSON line) for the given values, or undefined when there is nothing to report. */
export function emfDocument(
  namespace: string,
  dimensions: Readonly<Record<string, string>>,
  values: Readonly<Record<string, EmfSample | undefined>>,
  timestampMs: number,
): string | undefined {
  const present = Object.entries(values).filter((entry): entry is [string, EmfSample] => entry[1] !== undefined);
  if (present.length === 0) return undefined;
  const doc: Record<string, unknown> = {
    _aws: {
      Timestamp: timestampMs,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [Object.keys(dimensions)],
          Metrics: present.map(([name, s]) => ({ Name: name, Unit: s.unit })),
        },
      ],
    },
    ...dimensions,
  };
  for (const [name, s] of present) doc[name] = s.value;
  return JSON.stringify(doc);
}

export interface EmfPublisher {
  /** Prints a document now, outside the timer (e.g. the last figures after a stop). */
  publish(): void;
  stop(): void;
}

/** Prints a document now and then every intervalMs; stop() ends it. The timer does not keep the process alive. */
export function startEmfPublisher(options: EmfPublisherOptions): EmfPublisher {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? Date.now;
  const publish = () => {
    const line = emfDocument(options.namespace, options.dimensions, options.sample(), now());
    if (line !== undefined) write(line);
  };
  publish();
  const timer = setInterval(publish, options.intervalMs);
  timer.unref();
  return { publish, stop: () => clearInterval(timer) };
}

/** For a figure counted since start: the increase since the previous call (what one EMF line reports). */
export function deltaOf(total: () => number): () => number {
  let previous = total();
  return () => {
    const now = total();
    const delta = Math.max(0, now - previous);
    previous = now;
    return delta;
  };
}
