/**
 * The kinds of value a setting can hold. Each parses the text form that a stack config key, an
 * environment variable and a local stack option all share, and formats it back, so that a value
 * written by one runtime reads back the same in the other.
 */
import { InvalidValue } from "./errors.js";

export interface ValueType<T> {
  /** What the type accepts, for error messages: "an integer from 1 to 1000 (seconds)". */
  readonly accepted: string;
  /** The same, as an environment variable's error says it, when that differs. */
  readonly acceptedInEnvironment?: string;
  /** Parses the text form; throws `InvalidValue`. */
  parse(text: string): T;
  /** The text form: what an environment variable or Pulumi.dev.yaml holds. */
  format(value: T): string;
}

const invalid = (detail?: string): never => {
  throw new InvalidValue(detail);
};

export function integer(min: number, max: number, unit = ""): ValueType<number> {
  return {
    accepted: `an integer from ${min} to ${max}${unit && ` (${unit})`}`,
    parse: (text) => (/^-?\d+$/.test(text) && Number(text) >= min && Number(text) <= max ? Number(text) : invalid()),
    format: String,
  };
}

/** A number greater than 0 (fractions allowed), at most `max`. */
export function positiveNumber(max: number): ValueType<number> {
  return {
    accepted: `a number greater than 0 and at most ${max}`,
    parse: (text) => (/^\d+(\.\d+)?$/.test(text) && Number(text) > 0 && Number(text) <= max ? Number(text) : invalid()),
    format: String,
  };
}

/** One of a few numbers that are not a range (CloudWatch's retention periods, say). */
export function numberIn(values: readonly number[], accepted: string): ValueType<number> {
  return {
    accepted,
    parse: (text) => (/^\d+$/.test(text) && values.includes(Number(text)) ? Number(text) : invalid()),
    format: String,
  };
}

export const boolean: ValueType<boolean> = {
  accepted: "true or false",
  acceptedInEnvironment: `"true" or "false"`,
  parse: (text) => (text === "true" || text === "false" ? text === "true" : invalid()),
  format: String,
};

export function text(pattern: RegExp, accepted: string): ValueType<string> {
  return { accepted, parse: (value) => (pattern.test(value) ? value : invalid()), format: (value) => value };
}

export function oneOf<T extends string>(values: readonly T[]): ValueType<T> {
  return {
    accepted: values.map((value) => `"${value}"`).join(", "),
    parse: (value) => ((values as readonly string[]).includes(value) ? (value as T) : invalid()),
    format: (value) => value,
  };
}

/**
 * A list, written comma-separated; a JSON array of strings is read too (what
 * `pulumi config set --path key[0]` stores). Duplicates are dropped.
 */
export function list(item: RegExp, items: string): ValueType<readonly string[]> {
  return {
    accepted: `a JSON array or a comma-separated list of ${items}`,
    parse(value) {
      let entries: unknown = value.split(",").map((entry) => entry.trim()).filter(Boolean);
      if (value.startsWith("[")) {
        try {
          entries = JSON.parse(value);
        } catch {
          invalid();
        }
      }
      if (!Array.isArray(entries) || !entries.every((entry) => typeof entry === "string" && item.test(entry))) invalid();
      return [...new Set(entries as string[])];
    },
    format: (value) => value.join(","),
  };
}
