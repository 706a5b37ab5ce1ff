/**
 * Variants of a fan-out measured side by side at several sizes N (connections, subscribers): run
 * interleaved, and shown as a table of a row per variant and a column per N.
 */
import { table } from "./stats.js";

export class Comparison<Variant extends string> {
  /** In the table's order: the order of the labels. */
  readonly variants: readonly Variant[];

  constructor(private readonly labels: Readonly<Record<Variant, string>>) {
    this.variants = Object.keys(labels) as Variant[];
  }

  /**
   * Each variant's outcomes over `rounds` rounds. A round runs every variant once, starting one
   * further along than the round before, so that no variant always runs after the same one.
   */
  async interleave<Outcome>(rounds: number, run: (variant: Variant, round: number) => Promise<Outcome>): Promise<Record<Variant, Outcome[]>> {
    const outcomes = Object.fromEntries(this.variants.map((variant) => [variant, [] as Outcome[]])) as Record<Variant, Outcome[]>;
    for (let round = 0; round < rounds; round += 1) {
      for (let j = 0; j < this.variants.length; j += 1) {
        const variant = this.variants[(round + j) % this.variants.length]!;
        outcomes[variant].push(await run(variant, round));
      }
    }
    return outcomes;
  }

  /** The Markdown table: a row per variant (its label), a column per N. */
  table(counts: readonly number[], cell: (variant: Variant, count: number) => string): string {
    const header = ["fan-out", ...counts.map((count) => `N = ${count.toLocaleString("en-US")}`)];
    return table(header, this.variants.map((variant) => [this.labels[variant], ...counts.map((count) => cell(variant, count))]));
  }
}
