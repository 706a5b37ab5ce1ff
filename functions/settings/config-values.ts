/**
 * Reads stack config values by the schema, as both runtimes accept them: `pulumi config` keys
 * (infra/config.ts) and the local stack's options. Every bad key is reported, each naming the key
 * and what it accepts.
 */
import { parseOrThrow } from "./environment.js";
import { SettingError } from "./errors.js";
import { configKeys, defaults, settings, type ConfigKey, type ConfigValues } from "./schema.js";
import type { ValueType } from "./value-types.js";

/** Reads one key's text; `undefined` when unset. An empty (or blank) text counts as unset. */
export type ConfigSource = (key: string) => string | undefined;

export interface ConfigReading {
  readonly values: ConfigValues;
  /** One line per bad key: `key: accepts …; got "…"`. */
  readonly problems: readonly string[];
}

/**
 * @param presentKeys the keys that are set, when known; unknown ones are reported (typos).
 */
export function readConfigValues(get: ConfigSource, presentKeys: readonly string[] = []): ConfigReading {
  const problems: string[] = [];
  for (const key of presentKeys) {
    if (!(configKeys as readonly string[]).includes(key)) problems.push(`${key}: unknown key; known keys: ${configKeys.join(", ")}`);
  }
  const values: Record<string, unknown> = {};
  for (const key of configKeys) {
    const raw = get(key);
    const fallback = (defaults as Record<string, unknown>)[key];
    const text = raw?.trim();
    if (text === undefined || text === "") {
      if (fallback !== undefined) values[key] = fallback;
      continue;
    }
    try {
      values[key] = parseOrThrow((settings[key] as { type: ValueType<unknown> }).type, text, (detail) =>
        `${key}: ${detail ?? `accepts ${settings[key].type.accepted}; got "${raw}"`}`,
      );
    } catch (error) {
      if (!(error instanceof SettingError)) throw error;
      problems.push(error.message);
      if (fallback !== undefined) values[key] = fallback;
    }
  }
  return { values: values as ConfigValues, problems };
}

/** Every key is set in config or defaulted: whether it was set, for "both or neither" checks. */
export const isSet = (get: ConfigSource, key: ConfigKey): boolean => (get(key)?.trim() ?? "") !== "";
