/**
 * BENCHMARKS.md: each section lives between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` and
 * is rewritten by its own run, with the command, date and machine; the rest of the file is kept.
 * Section "load" is `npm run load`'s (bench/load.ts); it stays last.
 */
import { existsSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";

export const benchmarksFile = "BENCHMARKS.md";

export function machine(): string {
  const cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
  return `Node ${process.version}, ${cpus().length} CPUs (${cpu}), ${Math.round(totalmem() / 1024 ** 3)} GB, ${process.platform}/${process.arch}`;
}

/**
 * The heading line every section starts with: how to reproduce it, when, where, and how busy the
 * machine was (load average over the last minute, taken before the section ran).
 */
export function provenance(command: string, seconds: number, loadBefore: number): string {
  return `_\`${command}\` · ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC · ${machine()} · load ${loadBefore.toFixed(1)} · ${seconds.toFixed(0)} s_`;
}

export const currentLoad = (): number => loadavg()[0] ?? 0;

export async function writeSection(name: string, body: string, file = benchmarksFile): Promise<void> {
  const text = existsSync(file) ? await readFile(file, "utf8") : "";
  const start = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  // A new section goes before the local gateway's, which stays last.
  const localGateway = text.indexOf("<!-- bench:load -->");
  const next =
    from >= 0 && to > from
      ? `${text.slice(0, from)}${block}${text.slice(to + end.length)}`
      : localGateway >= 0
        ? `${text.slice(0, localGateway)}${block}\n\n${text.slice(localGateway)}`
        : `${text.trimEnd()}\n\n${block}\n`;
  await writeFile(`${file}.tmp`, next);
  await rename(`${file}.tmp`, file);
}

/** A section's key figures, kept in the file as a comment so that the goals table can be rebuilt from any run. */
export const findingsComment = (name: string, findings: object): string => `<!-- findings:${name} ${JSON.stringify(findings)} -->`;

export function readFindings(text: string): Record<string, Record<string, number | string>> {
  const found: Record<string, Record<string, number | string>> = {};
  for (const match of text.matchAll(/<!-- findings:(\w+) (\{.*?\}) -->/g)) found[match[1]!] = JSON.parse(match[2]!);
  return found;
}

export async function readBenchmarks(file = benchmarksFile): Promise<string> {
  return existsSync(file) ? readFile(file, "utf8") : "";
}
