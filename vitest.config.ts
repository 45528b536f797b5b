import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30000,
    hookTimeout: 60000,
    // Tests start their own Redis servers and components on free ports; files run in parallel
    // but the machine has 2 cores, so keep the pool small.
    pool: "forks",
    maxWorkers: 2,
    reporters: ["default"],
  },
});
