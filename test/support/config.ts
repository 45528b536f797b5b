// Test configuration: the defaults of core/config with overrides, as a component would read from its environment.
// Tests start fresh campaigns all the time, so an aggregator may start one (CAMPAIGN_AUTOSTART=1, off in production);
// tests of the production rule pass CAMPAIGN_AUTOSTART: "0".
import { type Config, parseConfig } from "../../core/config.js";

export function testConfig(env: Record<string, string | undefined> = {}): Config {
  return parseConfig({ LOG_LEVEL: "silent", HOST: "127.0.0.1", DEMO: "0", CAMPAIGN_AUTOSTART: "1", ...env });
}
