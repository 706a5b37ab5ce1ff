/**
 * Section "authorizer": warm verifications of our authorizer handler (the bundle Lambda runs)
 * against the physical limit and the peers, with fresh tokens and with repeated ones. The
 * measurements run in bench/authorizer-worker.ts, a child whose stdout is /dev/null.
 */
import { bundleChild } from "./lib/bundle.js";
import { fork } from "node:child_process";
import { join, resolve } from "node:path";
import type { RoundFigures, WarmOptions, WarmResult } from "./authorizer-worker.js";
import { median, micros, percent, rate, ratio, table } from "./lib/stats.js";
import type { LocalCertificate } from "./lib/tls.js";

export const warmDefaults = { rounds: 9, freshCalls: 400, repeatedCalls: 1000, repeatedTokens: 50 } as const;

const labels: Record<string, string> = {
  raw: "`node:crypto` verify, key imported once (the limit)",
  ours: "**ours**: authorizer handler bundle (cache, jose, policy)",
  jose: "`jose` 6 `jwtVerify` + `createRemoteJWKSet`",
  "aws-jwt-verify": "`aws-jwt-verify` `JwtRsaVerifier`",
  jsonwebtoken: "`jsonwebtoken` + `jwks-rsa`",
};

/**
 * Runs the worker bundled by esbuild under plain `node`, as Lambda runs code: no TypeScript loader
 * in the process, and every verifier a bundled copy of its library, as each would be deployed.
 */
export async function runWarm(
  certificate: LocalCertificate,
  bundle: string,
  scratch: string,
  options: Partial<typeof warmDefaults> = {},
): Promise<WarmResult> {
  const worker = join(scratch, "warm-worker.mjs");
  await bundleChild("bench/authorizer-worker.ts", worker);
  const child = fork(worker, [], {
    execArgv: ["--expose-gc"],
    env: { ...process.env, NODE_EXTRA_CA_CERTS: certificate.certFile, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const message = new Promise<{ result?: WarmResult; error?: string }>((resolveMessage, reject) => {
    child.once("message", (value) => resolveMessage(value as { result?: WarmResult; error?: string }));
    child.once("exit", (code) => reject(new Error(`the warm benchmark exited with ${code}`)));
  });
  const warm: WarmOptions = { ...warmDefaults, ...options, bundle, tls: { key: certificate.key, cert: certificate.cert } };
  child.send(warm);
  const { result, error } = await message;
  if (!result) throw new Error(`the warm benchmark failed: ${error}`);
  return result;
}

interface Summary {
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
}

const summarize = (rounds: readonly RoundFigures[]): Summary => ({
  rate: median(rounds.map((r) => r.rate)),
  p50: median(rounds.map((r) => r.p50)),
  p99: median(rounds.map((r) => r.p99)),
});

/** Median over rounds of a per-round ratio: robust to a round the machine was busy in. */
const perRound = (a: readonly RoundFigures[], b: readonly RoundFigures[], pick: (f: RoundFigures) => number): number =>
  median(a.map((figures, i) => pick(figures) / pick(b[i]!)));

export interface WarmFindings {
  /** Our handler over bare jose, fresh tokens, the two alone: p50 latency, and time per verification (1/rate). */
  readonly overheadP50: number;
  readonly overheadMean: number;
  /** The same in the five-way rounds. */
  readonly overheadP50AmongAll: number;
  /** Repeated tokens: our rate over the fastest peer's. */
  readonly repeatedLead: number;
  readonly fastestPeer: string;
}

export function warmFindings(result: WarmResult): WarmFindings {
  const overheadP50 = perRound(result.pair.ours, result.pair.jose, (f) => f.p50) - 1;
  const overheadMean = perRound(result.pair.jose, result.pair.ours, (f) => f.rate) - 1;
  const overheadP50AmongAll = perRound(result.fresh.ours!, result.fresh.jose!, (f) => f.p50) - 1;
  const peers = result.variants.filter((name) => name !== "ours" && name !== "raw");
  const fastestPeer = peers.reduce((best, name) => (summarize(result.repeated[name]!).rate > summarize(result.repeated[best]!).rate ? name : best));
  const repeatedLead = perRound(result.repeated.ours!, result.repeated[fastestPeer]!, (f) => f.rate);
  return { overheadP50, overheadMean, overheadP50AmongAll, repeatedLead, fastestPeer };
}

export function warmSection(result: WarmResult, options: typeof warmDefaults): string {
  const findings = warmFindings(result);
  const rows = (kind: "fresh" | "repeated") => {
    const raw = summarize(result[kind].raw!);
    const jose = summarize(result[kind].jose!);
    return result.variants.map((name) => {
      const s = summarize(result[kind][name]!);
      return [labels[name] ?? name, rate(s.rate), micros(s.p50), micros(s.p99), ratio(s.rate / raw.rate), ratio(s.rate / jose.rate)];
    });
  };
  const header = ["verifier", "verifications/s", "p50", "p99", "× raw limit", "× bare jose"];
  return [
    "One verification at a time, as a Lambda instance serves one request at a time. Every round",
    `interleaves the variants call by call (in an order shuffled each call); ${options.rounds} rounds; figures are`,
    "medians over rounds. Our handler is the esbuild bundle Lambda runs, with its INFO logger writing",
    "to /dev/null; the peers are called bare (no handler around them). JWKS served over TLS on",
    "127.0.0.1 and already fetched by every variant.",
    "",
    `**Fresh tokens** (${options.freshCalls} calls per variant per round, never the same token twice):`,
    "",
    table(header, rows("fresh")),
    "",
    `**Our handler over bare jose** (goal ≤ +10%), the two alone, alternating call by call on fresh tokens,`,
    `${options.rounds} rounds of ${options.freshCalls}: **${percent(findings.overheadP50)}** at p50, ${percent(findings.overheadMean)} in time per verification (medians of`,
    `per-round ratios). Among all five variants above: ${percent(findings.overheadP50AmongAll)} at p50.`,
    "",
    `**Repeated tokens** (${options.repeatedCalls} calls per variant per round over ${options.repeatedTokens} tokens, as in a reconnect storm;`,
    "our cache in steady state):",
    "",
    table(header, rows("repeated")),
    "",
    `Ours with repeated tokens: **${ratio(findings.repeatedLead)}** the throughput of the fastest peer (${findings.fastestPeer}).`,
    `The verified-token cache holds ≈ ${(result.cacheBytesPerEntry / 1024).toFixed(1)} KB of heap per token (the token itself, its expiry, its key and the`,
    `map entry); at its bound of 2,000 tokens, ≈ ${((result.cacheBytesPerEntry * 2000) / 1024 / 1024).toFixed(1)} MB. JWKS requests during the measured rounds: ${result.jwksFetchesDuringRounds}.`,
  ].join("\n");
}
