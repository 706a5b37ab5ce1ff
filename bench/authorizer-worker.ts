/**
 * The warm authorizer benchmark, run by bench/authorizer.ts in a child process whose stdout goes
 * to /dev/null (our handler logs a line per decision, as on Lambda). Every variant verifies the
 * same kind of token one call at a time (as a Lambda instance serves one request at a time), in
 * rounds that interleave the variants; the parent gets per-round figures over IPC.
 */
import { verify as cryptoVerify } from "node:crypto";
import { pathToFileURL } from "node:url";
import { createVerifiedTokenCache } from "../functions/core/verified-token-cache.js";
import { awsJwtVerifyVerifier } from "./peers/aws-jwt-verify.js";
import { joseVerifier } from "./peers/jose.js";
import { jsonwebtokenVerifier } from "./peers/jsonwebtoken.js";
import type { PeerVerify } from "./peers/types.js";
import { benchClientId, mintTokens, newKey, startJwksEndpoint } from "./lib/tokens.js";

export interface WarmOptions {
  readonly rounds: number;
  /** Calls per variant per round with tokens never seen before. */
  readonly freshCalls: number;
  /** Calls per variant per round cycling through `repeatedTokens` tokens. */
  readonly repeatedCalls: number;
  readonly repeatedTokens: number;
  readonly bundle: string;
  /** The JWKS is served over TLS (aws-jwt-verify fetches over https only); the child trusts the cert via NODE_EXTRA_CA_CERTS. */
  readonly tls: { readonly key: string; readonly cert: string };
}

export interface RoundFigures {
  /** Calls per second, one at a time. */
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
}

export interface WarmResult {
  readonly variants: readonly string[];
  /** variant → per-round figures. */
  readonly fresh: Record<string, RoundFigures[]>;
  readonly repeated: Record<string, RoundFigures[]>;
  /** Heap bytes per cached token, measured on the cache module. */
  readonly cacheBytesPerEntry: number;
  readonly jwksFetchesDuringRounds: number;
  /** Ours and bare jose alone, alternating call by call, fresh tokens: per-round figures. */
  readonly pair: { ours: RoundFigures[]; jose: RoundFigures[] };
}

interface Variant {
  readonly name: string;
  /** What the variant is called with, built before the clock starts (ours: the API Gateway event). */
  readonly prepare?: (token: string) => unknown;
  readonly verify: (input: never) => Promise<unknown> | unknown;
  readonly caches: boolean;
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

/** Fisher–Yates with a fixed-seed generator (mulberry32): the same orders on every run. */
let seed = 0x9e3779b9;
function shuffle(items: number[]): void {
  for (let i = items.length - 1; i > 0; i -= 1) {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const j = Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}

/**
 * One round: `cycles` times, every variant verifies one token, in an order shuffled every cycle,
 * so that each variant sees the same machine (load, frequency, GC debt) as the others and follows
 * each of them equally often. (A rotating order keeps the same neighbours: a variant that always
 * follows another one's WebCrypto job finds the worker thread awake, and looked ~10% faster.)
 * `tokenFor(variant, cycle)` picks the token.
 */
async function round(
  variants: readonly Variant[],
  cycles: number,
  tokenFor: (variant: Variant, cycle: number) => string,
): Promise<Record<string, RoundFigures>> {
  const latencies = variants.map(() => new Float64Array(cycles));
  const order = variants.map((_, index) => index);
  for (let cycle = 0; cycle < cycles; cycle += 1) {
    shuffle(order);
    for (const index of order) {
      const variant = variants[index]!;
      const token = tokenFor(variant, cycle);
      // Every call gets a token string of its own, flat, as each Lambda invocation parses its event
      // from JSON: no variant finds a hash or a flattening left on the string by an earlier call.
      const own = Buffer.from(token).toString();
      const input = variant.prepare ? variant.prepare(own) : own;
      const t0 = performance.now();
      await variant.verify(input as never);
      latencies[index]![cycle] = performance.now() - t0;
    }
  }
  return Object.fromEntries(
    variants.map((variant, index) => {
      const sorted = latencies[index]!.sort();
      const total = sorted.reduce((sum, value) => sum + value, 0);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
      return [variant.name, { rate: (cycles / total) * 1000, p50: at(0.5), p99: at(0.99) }];
    }),
  );
}

async function cacheBytesPerEntry(claims: Record<string, unknown>, tokens: readonly string[]): Promise<number> {
  const cache = createVerifiedTokenCache({ maxEntries: tokens.length });
  gc();
  const before = process.memoryUsage().heapUsed;
  // Fresh copies of the strings and claims, as each request brings its own; the cache keeps both.
  for (const token of tokens) cache.set(Buffer.from(token).toString(), JSON.parse(JSON.stringify(claims)));
  gc();
  const after = process.memoryUsage().heapUsed;
  return (after - before) / cache.size;
}

async function main(options: WarmOptions): Promise<WarmResult> {
  const key = newKey("bench-key-1");
  const other = newKey("bench-key-2");
  const jwks = await startJwksEndpoint([key, other], options.tls);
  const config = { issuer: jwks.issuer, clientId: benchClientId, jwksUri: jwks.url };

  Object.assign(process.env, {
    POWERTOOLS_SERVICE_NAME: "authorizer",
    LOG_LEVEL: "INFO",
    TOKEN_ISSUER: jwks.issuer,
    APP_CLIENT_ID: benchClientId,
    INITIAL_JWKS: JSON.stringify(jwks.jwks),
  });
  const { handler } = (await import(pathToFileURL(options.bundle).href)) as {
    handler: (event: unknown) => Promise<{ policyDocument: { Statement: [{ Effect: string }] } }>;
  };
  const methodArn = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/bench/$connect";
  let sequence = 0;
  const event = (token: string) => ({
    type: "REQUEST",
    methodArn,
    headers: { Host: "abcdef1234.execute-api.us-east-1.amazonaws.com", "Sec-WebSocket-Version": "13" },
    queryStringParameters: { idToken: token },
    multiValueQueryStringParameters: { idToken: [token] },
    requestContext: { connectionId: `bench${(sequence++).toString(36)}=`, routeKey: "$connect", eventType: "CONNECT" },
  });
  const ours = async (input: ReturnType<typeof event>) => {
    const response = await handler(input);
    if (response.policyDocument.Statement[0].Effect !== "Allow") throw new Error("not allowed");
  };

  const raw = (token: string) => {
    // The physical limit: one RS256 signature check with an already imported key.
    const dot = token.lastIndexOf(".");
    if (!cryptoVerify("sha256", Buffer.from(token.slice(0, dot)), key.publicKey, Buffer.from(token.slice(dot + 1), "base64url"))) {
      throw new Error("bad signature");
    }
  };

  const peer = (verify: PeerVerify) => async (token: string) => {
    const claims = await verify(token);
    if (claims.aud !== benchClientId) throw new Error("wrong audience");
  };
  const variants: Variant[] = [
    { name: "raw", verify: raw, caches: false },
    { name: "ours", prepare: event, verify: ours, caches: true },
    { name: "jose", verify: peer(joseVerifier(config)), caches: false },
    { name: "aws-jwt-verify", verify: peer(awsJwtVerifyVerifier(config)), caches: false },
    { name: "jsonwebtoken", verify: peer(jsonwebtokenVerifier(config)), caches: false },
  ];

  // Tokens are minted round by round, so that the benchmark's own heap stays small (a heap full of
  // tokens would make every garbage collection, and so any retention, look dearer than on Lambda).
  const mint = (count: number) => mintTokens(count, key, jwks.issuer);
  const repeatedSet = await mint(options.repeatedTokens);

  // Warm-up: JIT, JWKS fetched by the peers, ours' cache holding the repeated set (steady state).
  const warmup = await mint(100);
  await round(variants, warmup.length, (_, cycle) => warmup[cycle]!);
  await round(variants, repeatedSet.length, (_, cycle) => repeatedSet[cycle]!);
  const sampleClaims = JSON.parse(Buffer.from(warmup[0]!.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
  const fetchesBefore = jwks.fetches;

  const fresh: Record<string, RoundFigures[]> = Object.fromEntries(variants.map((v) => [v.name, []]));
  const again: Record<string, RoundFigures[]> = Object.fromEntries(variants.map((v) => [v.name, []]));
  const pair: { ours: RoundFigures[]; jose: RoundFigures[] } = { ours: [], jose: [] };
  const collect = (into: Record<string, RoundFigures[]>, figures: Record<string, RoundFigures>) => {
    for (const [name, value] of Object.entries(figures)) into[name]!.push(value);
  };
  // The overhead figure also comes from ours and bare jose alone, so that nothing else runs between their calls.
  const pairVariants = variants.filter((v) => v.name === "ours" || v.name === "jose");
  for (let r = 0; r < options.rounds; r += 1) {
    // One fresh set shared by the variants without a cache; ours gets tokens of its own, so that
    // it never sees a token twice in the fresh runs.
    let [shared, ours] = await Promise.all([mint(options.freshCalls), mint(options.freshCalls)]);
    gc();
    collect(fresh, await round(variants, options.freshCalls, (variant, cycle) => (variant.caches ? ours : shared)[cycle]!));
    gc();
    collect(again, await round(variants, options.repeatedCalls, (_, cycle) => repeatedSet[cycle % repeatedSet.length]!));
    [shared, ours] = await Promise.all([mint(options.freshCalls), mint(options.freshCalls)]);
    gc();
    collect(pair, await round(pairVariants, options.freshCalls, (variant, cycle) => (variant.caches ? ours : shared)[cycle]!));
  }
  const jwksFetchesDuringRounds = jwks.fetches - fetchesBefore;

  const bytesPerEntry = await cacheBytesPerEntry(sampleClaims, await mint(200));
  await jwks.close();
  return { variants: variants.map((v) => v.name), fresh, repeated: again, cacheBytesPerEntry: bytesPerEntry, jwksFetchesDuringRounds, pair };
}

// Started by bench/authorizer.ts (bundled, under plain node), which sends the options.
if (process.send) {
  process.once("message", (options: WarmOptions) => {
    main(options).then(
      (result) => process.send!({ result }, () => process.exit(0)),
      (error: unknown) => process.send!({ error: error instanceof Error ? error.stack : String(error) }, () => process.exit(1)),
    );
  });
}
