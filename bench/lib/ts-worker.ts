// Worker threads running TypeScript modules, and waiting for one typed message from them.
import { Worker } from "node:worker_threads";

/** Worker threads do not inherit tsx's loader: register it in the worker, then load the TypeScript module. */
export function startTsWorker(moduleUrl: URL, workerData: unknown): Worker {
  const boot = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((m) => { m.register(); return import(${JSON.stringify(moduleUrl.href)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

/** Resolves with the first message of the given type; rejects if the worker fails or exits first. */
export function nextMessage<M extends { type: string }, T extends M["type"]>(worker: Worker, type: T): Promise<Extract<M, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (msg: M) => {
      if (msg.type !== type) return;
      worker.off("message", onMessage);
      resolve(msg as Extract<M, { type: T }>);
    };
    worker.on("message", onMessage);
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`worker exited with ${code} before "${type}"`)));
  });
}
