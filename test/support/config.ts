// Test configuration: the defaults of core/config with overrides, as a component would read from its environment.
import { type Config, parseConfig } from "../../core/config.js";

export function testConfig(env: Record<string, string | undefined> = {}): Config {
  return parseConfig({ LOG_LEVEL: "silent", HOST: "127.0.0.1", DEMO: "0", ...env });
}
