import { describe, expect, it } from "vitest";
import { readConfigValues } from "../../../functions/settings/config-values.js";
import { readSettings } from "../../../functions/settings/environment.js";
import { configKeys, defaults, settings, type Setting, type SettingName } from "../../../functions/settings/schema.js";

const entries = Object.entries(settings) as [SettingName, Setting<unknown>][];

describe("the settings schema", () => {
  it("gives each environment variable to one setting, and each variable a reader", () => {
    const variables = entries.flatMap(([, setting]) => (setting.env ? [setting.env] : []));
    expect(new Set(variables).size).toBe(variables.length);
    for (const [name, setting] of entries) expect(setting.env === undefined, name).toBe(setting.for === undefined);
  });

  it("writes every default in a form its own type reads back", () => {
    for (const [name, value] of Object.entries(defaults)) {
      const { type } = settings[name as SettingName] as Setting<unknown>;
      expect(type.parse(type.format(value)), name).toEqual(value);
    }
  });

  it("documents exactly the stack config keys, and gives every other setting a variable", () => {
    expect(configKeys).toEqual(entries.filter(([, setting]) => setting.description).map(([name]) => name));
    for (const [name, setting] of entries) if (!setting.description) expect(setting.env, name).toBeDefined();
  });

  it("reads config values and environment variables with the same type and range", () => {
    const { problems } = readConfigValues((key) => (key === "postConcurrency" ? "1001" : undefined));
    expect(problems).toEqual(['postConcurrency: accepts an integer from 1 to 1000; got "1001"']);
    expect(() => readSettings("messaging", { POST_CONCURRENCY: "1001" })).toThrow(/^POST_CONCURRENCY must be an integer from 1 to 1000, got "1001"/);
  });

  it("reports a config value with a blank text as unset, and keeps its default", () => {
    const { values, problems } = readConfigValues((key) => (key === "postConcurrency" ? "  " : undefined));
    expect(problems).toEqual([]);
    expect(values.postConcurrency).toBe(50);
  });

  it("names POWERTOOLS_LOG_LEVEL when a function's log level is not one Powertools knows", () => {
    const env = {
      CONNECTIONS_TABLE_NAME: "t",
      CONNECTIONS_USER_INDEX: "i",
      SUBSCRIPTIONS_TABLE_NAME: "s",
      CHANNEL_MESSAGES_TABLE_NAME: "m",
      RATE_LIMITS_TABLE_NAME: "r",
      DELIVERIES_TABLE_NAME: "d",
      MANAGEMENT_API_URL: "https://a/dev",
    };
    expect(readSettings("messaging", env).logLevel).toBe("INFO");
    expect(() => readSettings("messaging", { ...env, POWERTOOLS_LOG_LEVEL: "info" })).toThrow(/^POWERTOOLS_LOG_LEVEL must be "TRACE", .*got "info"/);
  });
});
