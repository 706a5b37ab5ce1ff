/**
 * The environment contract between the functions and whoever runs them (infra/ on AWS, local/
 * offline), derived from the settings schema: one pure function writes a function's variables,
 * one reads them back at cold start and names the variable at fault.
 */
import { settings, type SettingName, type SettingsInput, type SettingsKind, type SettingsOf } from "./schema.js";
import { InvalidValue, SettingError } from "./errors.js";
import type { ValueType } from "./value-types.js";

export type Environment = Record<string, string>;
type Source = Readonly<Record<string, string | undefined>>;

const namesFor = (kind: SettingsKind): SettingName[] =>
  (Object.keys(settings) as SettingName[]).filter((name) => (settings[name] as { for?: readonly SettingsKind[] }).for?.includes(kind));

const definition = (name: SettingName) =>
  settings[name] as { type: ValueType<unknown>; env: string; default?: unknown; optional?: boolean };

/**
 * A function's whole environment: the variables of its kind's settings and its service name for
 * the logger. Fails, naming the function and its
 * largest variables, when Lambda would refuse its size mid-deployment.
 */
export function functionEnvironment<K extends SettingsKind>(functionName: string, kind: K, values: SettingsInput<K>): Environment {
  return checkEnvironmentSize(functionName, { ...settingsEnvironment(kind, values), POWERTOOLS_SERVICE_NAME: functionName });
}

/** The variables of one kind's settings; those left out take their defaults when read. */
export function settingsEnvironment<K extends SettingsKind>(kind: K, values: SettingsInput<K>): Environment {
  const environment: Environment = {};
  for (const name of namesFor(kind)) {
    const value = (values as Record<string, unknown>)[name];
    if (value !== undefined) environment[definition(name).env] = definition(name).type.format(value);
  }
  return environment;
}

/** Reads a function's settings at cold start; missing optional ones take their defaults. */
export function readSettings<K extends SettingsKind>(kind: K, env: Source): SettingsOf<K> {
  const values: Record<string, unknown> = {};
  for (const name of namesFor(kind)) {
    const { type, env: variable, default: fallback, optional } = definition(name);
    const raw = env[variable];
    if (raw === undefined || (raw === "" && (optional || fallback === undefined))) {
      if (fallback !== undefined) values[name] = fallback;
      else if (!optional) throw new SettingError(`${variable} is not set`);
      continue;
    }
    values[name] = parseOrThrow(type, raw, (detail) => `${variable} ${detail ?? `must be ${type.acceptedInEnvironment ?? type.accepted}, got "${raw}"`}`);
  }
  return values as SettingsOf<K>;
}

/** Parses one value, turning `InvalidValue` into a `SettingError` worded by `message`. */
export function parseOrThrow<T>(type: ValueType<T>, raw: string, message: (detail: string | undefined) => string): T {
  try {
    return type.parse(raw);
  } catch (error) {
    if (error instanceof InvalidValue) throw new SettingError(message(error.detail), { cause: error });
    throw error;
  }
}

/** Lambda refuses a function whose environment variables (names and values) exceed 4 KB in total. */
export const lambdaEnvironmentLimitBytes = 4096;

export const environmentSize = (environment: Environment): number =>
  Object.entries(environment).reduce((total, [key, value]) => total + byteLength(key) + byteLength(value), 0);

const byteLength = (text: string): number => new TextEncoder().encode(text).length;

export function checkEnvironmentSize(functionName: string, environment: Environment): Environment {
  const size = environmentSize(environment);
  if (size > lambdaEnvironmentLimitBytes) {
    const largest = Object.entries(environment)
      .map(([key, value]) => [key, byteLength(key) + byteLength(value)] as const)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 2)
      .map(([key, bytes]) => `${key} ${bytes} B`)
      .join(", ");
    throw new SettingError(`The ${functionName} function's environment is ${size} bytes; Lambda allows ${lambdaEnvironmentLimitBytes} in total (largest: ${largest})`);
  }
  return environment;
}
