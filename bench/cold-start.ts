/**
 * Section "cold": what a new Lambda instance pays before its first Allow. Bundle bytes (raw and
 * gzip) of every function and of the peers bundled the same way, and the time from spawning a
 * fresh `node` to the first authorized result, JWKS served over TLS on 127.0.0.1.
 */
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { bundleDirectory, bundleFile, functionNames } from "../functions/routes.js";
// Peers are bundled with exactly the options of our functions.
import { functionBundleOptions } from "../build/functions.js";
import { bytes, median, millis, ratio, table } from "./lib/stats.js";
import type { LocalCertificate } from "./lib/tls.js";
import { benchClientId, mintTokens, newKey, startJwksEndpoint } from "./lib/tokens.js";

export const coldDefaults = { rounds: 11 } as const;


const peers = ["jose", "aws-jwt-verify", "jsonwebtoken"] as const;

interface Variant {
  readonly name: string;
  readonly label: string;
  readonly bundle: string;
  readonly environment: Record<string, string>;
}

interface Run {
  /** Parent's spawn to the child's first Allow, ms. */
  readonly total: number;
  /** Spawn to the runner's first line (node's own start-up), ms. */
  readonly boot: number;
  /** Importing the bundle (module scope: settings, logger, key set), ms. */
  readonly load: number;
  /** The first handler call, to its Allow, ms. */
  readonly firstCall: number;
  readonly jwksFetches: number;
}

export interface ColdResult {
  readonly sizes: { name: string; raw: number; gzip: number; peer: boolean }[];
  readonly variants: { name: string; label: string }[];
  readonly runs: Record<string, Run[]>;
  readonly rounds: number;
}

/** What Lambda's runtime does, reduced: import the handler module, call it with the event. */
const runnerSource = `
const t0 = performance.now();
const { handler } = await import(process.argv[2]);
const t1 = performance.now();
const response = await handler(JSON.parse(process.env.BENCH_EVENT));
const t2 = performance.now();
const allowed = response?.policyDocument?.Statement?.[0]?.Effect === "Allow";
process.stdout.write("\\nBENCH " + JSON.stringify({ allowed, origin: performance.timeOrigin, t0, t1, t2 }) + "\\n");
`;

function event(token: string) {
  return {
    type: "REQUEST",
    methodArn: "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/bench/$connect",
    headers: { Host: "abcdef1234.execute-api.us-east-1.amazonaws.com", "Sec-WebSocket-Version": "13" },
    queryStringParameters: { idToken: token },
    multiValueQueryStringParameters: { idToken: [token] },
    requestContext: { connectionId: "Y29sZHN0YXJ0MDE=", routeKey: "$connect", eventType: "CONNECT", requestTimeEpoch: Date.now() },
  };
}

function runOnce(runner: string, variant: Variant, token: string): Promise<Omit<Run, "jwksFetches">> {
  return new Promise((resolveRun, reject) => {
    const spawnedAt = performance.timeOrigin + performance.now();
    const child = spawn(process.execPath, [runner, variant.bundle], {
      env: { PATH: process.env.PATH ?? "", ...variant.environment, BENCH_EVENT: JSON.stringify(event(token)) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let errors = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (errors += chunk.toString()));
    child.on("exit", (code) => {
      const line = output.split("\n").find((entry) => entry.startsWith("BENCH "));
      if (code !== 0 || !line) return reject(new Error(`${variant.name} exited with ${code}: ${errors || output}`));
      const { allowed, origin, t0, t1, t2 } = JSON.parse(line.slice(6)) as Record<string, number | boolean>;
      if (allowed !== true) return reject(new Error(`${variant.name} did not allow the token: ${output}`));
      const at = (t: number) => (origin as number) + t - spawnedAt;
      resolveRun({ total: at(t2 as number), boot: at(t0 as number), load: (t1 as number) - (t0 as number), firstCall: (t2 as number) - (t1 as number) });
    });
  });
}

export async function runCold({ certificate, scratch, bundle, rounds = coldDefaults.rounds }: {
  certificate: LocalCertificate;
  scratch: string;
  bundle: string;
  rounds?: number;
}): Promise<ColdResult> {
  // The peers, bundled like our functions.
  await Promise.all(
    peers.map((peer) => build({ ...functionBundleOptions, entryPoints: [resolve(`bench/cold/${peer}.ts`)], outfile: join(scratch, peer, "index.mjs") })),
  );
  const sizeOf = async (file: string) => {
    const content = await readFile(file);
    return { raw: content.length, gzip: gzipSync(content, { level: 9 }).length };
  };
  const sizes = [
    ...(await Promise.all(functionNames.map(async (name) => ({ name, ...(await sizeOf(join(bundleDirectory(name), bundleFile))), peer: false })))),
    ...(await Promise.all(peers.map(async (peer) => ({ name: `${peer} (peer)`, ...(await sizeOf(join(scratch, peer, "index.mjs"))), peer: true })))),
  ];

  const key = newKey("bench-cold-1");
  const jwks = await startJwksEndpoint([key, newKey("bench-cold-2")], { key: certificate.key, cert: certificate.cert });
  const runner = join(scratch, "runner.mjs");
  await writeFile(runner, runnerSource);
  try {
    const common = {
      NODE_EXTRA_CA_CERTS: certificate.certFile,
      AWS_REGION: "us-east-1",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      TOKEN_ISSUER: jwks.issuer,
      APP_CLIENT_ID: benchClientId,
      POWERTOOLS_SERVICE_NAME: "authorizer",
      LOG_LEVEL: "INFO",
    };
    const variants: Variant[] = [
      { name: "ours", label: "**ours**, INITIAL_JWKS from deploy time", bundle, environment: { ...common, INITIAL_JWKS: JSON.stringify(jwks.jwks) } },
      { name: "ours-fetch", label: "ours without INITIAL_JWKS (fetch on first use)", bundle, environment: common },
      { name: "jose", label: "`jose` 6 (`createRemoteJWKSet`)", bundle: join(scratch, "jose", "index.mjs"), environment: common },
      { name: "aws-jwt-verify", label: "`aws-jwt-verify`", bundle: join(scratch, "aws-jwt-verify", "index.mjs"), environment: common },
      { name: "jsonwebtoken", label: "`jsonwebtoken` + `jwks-rsa`", bundle: join(scratch, "jsonwebtoken", "index.mjs"), environment: common },
    ];
    const tokens = await mintTokens(variants.length * (rounds + 1), key, jwks.issuer);
    const runs: Record<string, Run[]> = Object.fromEntries(variants.map((v) => [v.name, []]));
    let next = 0;
    // One unmeasured round first: the OS file cache holds node and the bundles, as on a warm Lambda host.
    for (let round = -1; round < rounds; round += 1) {
      for (let j = 0; j < variants.length; j += 1) {
        const variant = variants[(Math.max(round, 0) + j) % variants.length]!;
        const before = jwks.fetches;
        const run = await runOnce(runner, variant, tokens[next++]!);
        if (round >= 0) runs[variant.name]!.push({ ...run, jwksFetches: jwks.fetches - before });
      }
    }
    return { sizes, variants: variants.map(({ name, label }) => ({ name, label })), runs, rounds };
  } finally {
    await jwks.close();
  }
}

export interface ColdFindings {
  /** Our time to first Allow over aws-jwt-verify's (medians of per-round ratios are not meaningful across processes; medians). */
  readonly oursOverAwsJwtVerify: number;
  readonly oursFetches: number;
}

export function coldFindings(result: ColdResult): ColdFindings {
  const total = (name: string) => median(result.runs[name]!.map((r) => r.total));
  return {
    oursOverAwsJwtVerify: total("ours") / total("aws-jwt-verify"),
    oursFetches: Math.max(...result.runs.ours!.map((r) => r.jwksFetches)),
  };
}

export function coldSection(result: ColdResult): string {
  const findings = coldFindings(result);
  const sizeRows = result.sizes.map(({ name, raw, gzip }) => [name, bytes(raw), bytes(gzip)]);
  const m = (name: string, pick: (run: Run) => number) => median(result.runs[name]!.map(pick));
  const awsTotal = m("aws-jwt-verify", (r) => r.total);
  const timeRows = result.variants.map(({ name, label }) => [
    label,
    millis(m(name, (r) => r.total)),
    millis(m(name, (r) => r.boot)),
    millis(m(name, (r) => r.load)),
    millis(m(name, (r) => r.firstCall)),
    String(Math.round(m(name, (r) => r.jwksFetches))),
    ratio(m(name, (r) => r.total) / awsTotal),
  ]);
  return [
    "**Bundle bytes** (`index.mjs` as Lambda loads it; gzip -9 as a proxy for the upload):",
    "",
    table(["bundle", "raw", "gzip"], sizeRows),
    "",
    `**Process start → first Allow**: a fresh \`node\` per run imports the bundle and calls its handler`,
    `once, as Lambda's runtime does; ${result.rounds} runs per variant, interleaved; medians. The peers fetch`,
    "the JWKS over TLS from 127.0.0.1 (on Lambda: a TLS round trip to Cognito, tens of ms more).",
    "",
    table(["authorizer", "start → Allow", "node start-up", "import", "first call", "JWKS fetches", "× aws-jwt-verify"], timeRows),
    "",
    `Ours makes **${findings.oursFetches}** JWKS requests before its first Allow and reaches it in **${ratio(findings.oursOverAwsJwtVerify)}**`,
    "the time of `aws-jwt-verify` (goal: below 1×).",
  ].join("\n");
}
