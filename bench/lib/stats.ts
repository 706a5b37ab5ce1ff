/** Medians, percentiles and number formatting for the benchmark tables. */

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

/** 46,123 → "46.1k"; 812 → "812". */
export function rate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return "–";
  return perSecond >= 10_000 ? `${(perSecond / 1000).toFixed(1)}k` : perSecond >= 1000 ? `${(perSecond / 1000).toFixed(2)}k` : perSecond.toFixed(0);
}

/** Microseconds from milliseconds, 3 significant digits. */
export const micros = (ms: number): string => (Number.isFinite(ms) ? `${Number((ms * 1000).toPrecision(3))} µs` : "–");

export const millis = (ms: number, digits = 1): string => (Number.isFinite(ms) ? `${ms.toFixed(digits)} ms` : "–");

export const seconds = (ms: number): string => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : "–");

export const ratio = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(2)}×` : "–");

export const percent = (value: number): string => (Number.isFinite(value) ? `${value >= 0 ? "+" : ""}${(value * 100).toFixed(1)}%` : "–");

export const bytes = (count: number): string => (count >= 1024 * 1024 ? `${(count / 1024 / 1024).toFixed(2)} MB` : `${(count / 1024).toFixed(1)} KB`);

/** A Markdown table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}
