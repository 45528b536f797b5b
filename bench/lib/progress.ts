// Progress on stderr while a timed phase runs (silent when stderr is not a terminal, as in tests and CI).
import { Presets, SingleBar } from "cli-progress";

/** Shows a bar filling over durationMs, labelled, while work runs; stops when work settles. */
export async function withProgress<T>(label: string, durationMs: number, work: Promise<T>): Promise<T> {
  const bar = new SingleBar(
    { format: `${label.padEnd(38)} [{bar}] {percentage}% {duration}s`, hideCursor: true, clearOnComplete: false, stream: process.stderr },
    Presets.shades_classic,
  );
  const started = Date.now();
  bar.start(100, 0);
  const timer = setInterval(() => bar.update(Math.min(99, Math.floor(((Date.now() - started) / durationMs) * 100))), 200);
  try {
    return await work;
  } finally {
    clearInterval(timer);
    bar.update(100);
    bar.stop();
  }
}

/** One line of status on stderr, for phases without a known duration. */
export function note(message: string): void {
  process.stderr.write(`${message}\n`);
}
