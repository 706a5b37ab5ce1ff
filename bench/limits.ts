/**
 * Section "limits": what the per-user rate limit (`userMessageRate`, `userMessageBurst`) costs and
 * what it protects, on the local stack, in this process, on 127.0.0.1.
 *
 * 1. Cost: two stacks side by side, one with the limit on but never refusing (rate and burst
 *    10,000), one with it off (rate 0), both warm; one connection each, subscribed to
 *    `public/bench`. Frames go one at a time, the two stacks alternating frame by frame (in an
 *    order shuffled each time), timed from `send` to the sender's own delivery. Two stacks rather
 *    than one restarted: the functions read the setting at start, and a restart per round would
 *    measure cold instances.
 * 2. Flood: one stack with the default limit; nine users talk at a normal pace (on `sendmessage`,
 *    the flooded route, then on `publish`) while, in every other round, a tenth user floods
 *    `sendmessage` at 1,000 frames/s; rounds with and without the flood alternate (ABBA).
 *
 * Every DynamoDB request dynalite serves is counted by operation and table, through Node's
 * `http.server.request.start` diagnostics channel (dynalite runs in this process): the writes per
 * frame are counted, not inferred. Writes the section "limits" of BENCHMARKS.md and its goals (not with --no-write).
 *
 *   npx tsx bench/limits.ts --rounds 9 --frames 200 --flood-rounds 2 --flood-rate 1000 --flood-seconds 10
 */
import { DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import dc from "node:diagnostics_channel";
import { Agent, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { counterRequest, createDynamoDbFrameCounter } from "../functions/adapters/dynamodb-frame-counter.js";
import { createRateLimiter, windowAt, type RateLimit } from "../functions/core/rate-limit.js";
import { defaults } from "../functions/settings/schema.js";
import type { StackOutputs } from "../local/outputs.js";
import { localDefaults, startLocalStack, type LocalSettings, type LocalStack } from "../local/stack.js";
import { localTableNames } from "../local/tables.js";
import { request } from "../tests/support/channel-frames.js";
import { signUp } from "../tests/support/local-stack.js";
import { TestClient } from "../tests/support/ws-client.js";
import { goalsSection } from "./goals.js";
import { currentLoad, findingsComment, provenance, readBenchmarks, readFindings, writeSection } from "./lib/report.js";
import { median, millis, percent, quantile, rate, table } from "./lib/stats.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export const limitsDefaults = {
  /** Cost: rounds, and frames per stack and route in each round. */
  rounds: 9,
  frames: 200,
  /** Flood: rounds with the flood per route the talkers use (each paired with one without), its rate and length, the talkers and their pace. */
  floodRounds: 2,
  floodRate: 1000,
  floodSeconds: 10,
  talkers: 9,
  talkRate: 2,
  /** How long a round may take to deliver its last frame after the sending stops. */
  drainTimeoutMs: 90_000,
};
export type LimitsOptions = typeof limitsDefaults;

const channel = "public/bench";
const routes = ["publish", "sendmessage"] as const;
type Route = (typeof routes)[number];
const variants = ["on", "off"] as const;
type Variant = (typeof variants)[number];
/** On: a limit that never refuses here, so that only its check is measured. */
const costSettings: Record<Variant, Partial<LocalSettings>> = { on: { userMessageRate: 10_000, userMessageBurst: 10_000 }, off: { userMessageRate: 0 } };
const rateTable = localTableNames.rateLimitsTableName;

// ---------------------------------------------------------------------------------------------
// DynamoDB requests, counted where dynalite serves them.

/** Per dynalite port, per "Operation table": requests and server time. */
interface OperationCount {
  requests: number;
  serverMs: number[];
}
type Counts = Map<string, OperationCount>;

function observeDynamoDb() {
  const byPort = new Map<number, Counts>();
  const started = new WeakMap<ServerResponse, { key: string; port: number; at: number }>();
  const entry = (port: number, key: string): OperationCount => {
    const counts = byPort.get(port) ?? byPort.set(port, new Map()).get(port)!;
    return counts.get(key) ?? counts.set(key, { requests: 0, serverMs: [] }).get(key)!;
  };
  const onStart = (message: unknown) => {
    const { request, response, socket } = message as { request: IncomingMessage; response: ServerResponse; socket: Socket };
    const target = request.headers["x-amz-target"];
    if (typeof target !== "string" || !target.startsWith("DynamoDB_")) return;
    const at = performance.now();
    const port = socket.localPort ?? 0;
    // Listening alongside dynalite (added first, in the same tick): both see every chunk.
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk));
    request.on("end", () => {
      let table = "?";
      try {
        table = String((JSON.parse(body) as { TableName?: string }).TableName ?? "?");
      } catch {
        // Counted under "?".
      }
      const key = `${target.split(".")[1]} ${table}`;
      entry(port, key).requests += 1;
      started.set(response, { key, port, at });
    });
  };
  const onFinish = (message: unknown) => {
    const { response } = message as { response: ServerResponse };
    const start = started.get(response);
    if (!start) return;
    const counted = entry(start.port, start.key);
    counted.serverMs.push(performance.now() - start.at);
  };
  dc.subscribe("http.server.request.start", onStart);
  dc.subscribe("http.server.response.finish", onFinish);
  return {
    /** A copy of one port's counts, to subtract from a later one. */
    snapshot(port: number): Counts {
      return new Map([...(byPort.get(port) ?? new Map<string, OperationCount>())].map(([key, c]) => [key, { requests: c.requests, serverMs: [...c.serverMs] }]));
    },
    since(port: number, before: Counts): Counts {
      const now = this.snapshot(port);
      for (const [key, c] of now) {
        const was = before.get(key);
        if (was) now.set(key, { requests: c.requests - was.requests, serverMs: c.serverMs.slice(was.serverMs.length) });
      }
      return now;
    },
    stop() {
      dc.unsubscribe("http.server.request.start", onStart);
      dc.unsubscribe("http.server.response.finish", onFinish);
    },
  };
}

function addCounts(into: Counts, from: Counts): void {
  for (const [key, c] of from) {
    const total = into.get(key) ?? into.set(key, { requests: 0, serverMs: [] }).get(key)!;
    total.requests += c.requests;
    total.serverMs.push(...c.serverMs);
  }
}

/** The counter requests one instance makes for a user who sends a whole window's burst through it. */
async function leaseRequests(limit: RateLimit): Promise<number> {
  let requests = 0;
  let total = 0;
  const limiter = createRateLimiter(limit, async (_user, _window, frames) => ((requests += 1), (total += frames)), { now: () => 0 });
  for (let frame = 0; frame < limit.burst; frame += 1) await limiter.admit("steady");
  return requests;
}

const rateWrites = (counts: Counts) => counts.get(`UpdateItem ${rateTable}`) ?? { requests: 0, serverMs: [] };

// ---------------------------------------------------------------------------------------------
// Stacks and users.

interface BenchStack {
  readonly stack: LocalStack;
  readonly dataDirectory: string;
  readonly dynamoDbPort: number;
  readonly clients: TestClient[];
  connect(email: string): Promise<TestClient>;
  destroy(): Promise<void>;
}

async function startBenchStack(settings: Partial<LocalSettings>): Promise<BenchStack> {
  const dataDirectory = await mkdtemp(join(tmpdir(), "limits-"));
  const stack = await startLocalStack({
    dataDirectory,
    ports: { gateway: 0, cognito: 0, dynamodb: 0 },
    // Function logs at WARN (each refused frame still logs one); the rest is dropped.
    settings: { logLevel: "WARN", ...settings },
    progress: () => undefined,
    log: () => undefined,
    // No background scans during the measurements: the TTL emulation and the expiry sweeper are off.
    ttlSweepIntervalMs: 3_600_000,
    expirySweepIntervalMs: 0,
  });
  const outputs: StackOutputs = stack.outputs;
  const clients: TestClient[] = [];
  return {
    stack,
    dataDirectory,
    dynamoDbPort: Number(new URL(outputs.dynamoDbEndpoint!).port),
    clients,
    async connect(email) {
      const user = await signUp(outputs, email);
      const client = await TestClient.open(`${outputs.webSocketUrl}?idToken=${user.idToken}`);
      clients.push(client);
      return client;
    },
    async destroy() {
      for (const client of clients) client.socket.terminate();
      await stack.stop();
      await rm(dataDirectory, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// 1. The cost of the check.

/** Waits for one frame's arrival on a connection: the `message` of a publish, the text of a broadcast. */
function arrivals(client: TestClient) {
  let pending: { tag: string; resolve: (at: number) => void } | undefined;
  const refusals: string[] = [];
  client.socket.on("message", (data) => {
    const at = performance.now();
    const text = String(data);
    let tag = text;
    if (text.startsWith("{")) {
      const frame = JSON.parse(text) as { type?: string; data?: string; error?: { code: string } };
      if (frame.error) refusals.push(frame.error.code);
      if (frame.type !== "message") return;
      tag = String(frame.data);
    }
    if (pending?.tag === tag) pending.resolve(at);
  });
  return {
    refusals,
    async roundTrip(route: Route, tag: string): Promise<number> {
      const arrived = new Promise<number>((resolve) => (pending = { tag, resolve }));
      const body = route === "publish" ? { action: "publish", channel, data: tag, id: tag } : { action: "sendmessage", data: tag };
      const sent = performance.now();
      await client.send(JSON.stringify(body));
      const at = await Promise.race([arrived, sleep(10_000, Number.NaN, { ref: false })]);
      pending = undefined;
      return at - sent;
    },
  };
}

/**
 * The counter's request as the SDK sends it, without the SDK: a fixed body and headers posted on one
 * kept-alive socket (dynalite checks the signature's form, not its value).
 */
async function timeRawUpdates(endpoint: string, limit: { rate: number; burst: number }, count: number): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const post = (body: string) =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now();
      const outgoing = httpRequest(
        endpoint,
        {
          method: "POST",
          agent,
          headers: {
            "content-type": "application/x-amz-json-1.0",
            "x-amz-target": "DynamoDB_20120810.UpdateItem",
            "x-amz-date": "20260101T000000Z",
            authorization: "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
          },
        },
        (response) => {
          response.resume();
          response.on("end", () => (response.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`dynalite answered ${response.statusCode}`))));
        },
      );
      outgoing.on("error", reject);
      outgoing.end(body);
    });
  const times: number[] = [];
  try {
    for (let i = 0; i < count + 20; i += 1) {
      const body = JSON.stringify(counterRequest(rateTable, "bench-raw", windowAt(Date.now(), limit), 1));
      const ms = await post(body);
      if (i >= 20) times.push(ms);
    }
  } finally {
    agent.destroy();
  }
  return times;
}

interface CostRound {
  /** Round-trip times, ms, per variant and route. */
  readonly times: Record<Variant, Record<Route, number[]>>;
}

export interface CostResult {
  readonly rounds: CostRound[];
  /** DynamoDB requests during the measured frames, per variant and route. */
  readonly counts: Record<Variant, Record<Route, Counts>>;
  readonly framesPerVariantAndRoute: number;
  readonly refusals: number;
  readonly lost: number;
  /** The counter's adapter called alone from this process against the same dynalite, ms per call. */
  readonly adapterMs: number[];
  /** The same request through the generated client (`UpdateItemCommand`), alternating with the adapter, ms per call. */
  readonly clientMs: number[];
  /** The same request without the SDK: a pre-built HTTP POST on a kept-alive socket, ms per call. */
  readonly rawMs: number[];
  /** dynalite's own time (request in → response out) for those calls alone, ms. */
  readonly aloneServerMs: number[];
  /** Counter requests for a window's whole burst sent through one instance: at the default limit, and at the one measured. */
  readonly leaseRequests: { readonly atDefault: number; readonly measured: number };
}

async function runCost(options: LimitsOptions, observer: ReturnType<typeof observeDynamoDb>): Promise<CostResult> {
  const stacks: Partial<Record<Variant, BenchStack>> = {};
  try {
    for (const variant of variants) stacks[variant] = await startBenchStack(costSettings[variant]);
    const senders = {} as Record<Variant, ReturnType<typeof arrivals>>;
    for (const variant of variants) {
      const client = await stacks[variant]!.connect(`cost-${variant}@example.com`);
      const subscribed = await request(client, { action: "subscribe", channel, id: "sub" });
      if (subscribed.type !== "subscribed") throw new Error(`subscribe refused on the ${variant} stack: ${JSON.stringify(subscribed)}`);
      senders[variant] = arrivals(client);
    }
    // Unmeasured: starts every function instance and JIT-compiles the paths.
    for (let i = 0; i < 40; i += 1) for (const variant of variants) for (const route of routes) await senders[variant].roundTrip(route, `warm-${route}-${i}`);

    const counts = Object.fromEntries(variants.map((v) => [v, Object.fromEntries(routes.map((r) => [r, new Map()]))])) as CostResult["counts"];
    const rounds: CostRound[] = [];
    for (let round = 0; round < options.rounds; round += 1) {
      const times = Object.fromEntries(variants.map((v) => [v, { publish: [] as number[], sendmessage: [] as number[] }])) as CostRound["times"];
      for (const route of round % 2 === 0 ? routes : [...routes].reverse()) {
        const before = Object.fromEntries(variants.map((v) => [v, observer.snapshot(stacks[v]!.dynamoDbPort)])) as Record<Variant, Counts>;
        for (let i = 0; i < options.frames; i += 1) {
          for (const variant of Math.random() < 0.5 ? variants : [...variants].reverse()) {
            times[variant][route].push(await senders[variant].roundTrip(route, `r${round}-${route}-${i}`));
          }
        }
        for (const variant of variants) addCounts(counts[variant][route], observer.since(stacks[variant]!.dynamoDbPort, before[variant]));
      }
      rounds.push({ times });
      const p50 = (v: Variant, r: Route) => millis(quantile(times[v][r], 0.5), 2);
      console.log(`  round ${round + 1}: publish on ${p50("on", "publish")} off ${p50("off", "publish")} · sendmessage on ${p50("on", "sendmessage")} off ${p50("off", "sendmessage")}`);
    }
    // The check alone: the functions' own adapter, from this process, on the same dynalite.
    const client = new DynamoDBClient({ endpoint: stacks.on!.stack.outputs.dynamoDbEndpoint, region: stacks.on!.stack.outputs.region, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
    const count = createDynamoDbFrameCounter({ client, tableName: rateTable });
    const limit = { rate: costSettings.on.userMessageRate!, burst: costSettings.on.userMessageBurst! };
    const beforeAlone = observer.snapshot(stacks.on!.dynamoDbPort);
    const adapterMs: number[] = [];
    const clientMs: number[] = [];
    const calls: [number[], () => Promise<unknown>][] = [
      [adapterMs, () => count("bench-adapter", windowAt(Date.now(), limit), 1)],
      [clientMs, () => client.send(new UpdateItemCommand(counterRequest(rateTable, "bench-client", windowAt(Date.now(), limit), 1)))],
    ];
    for (let i = 0; i < options.frames + 20; i += 1) {
      for (const [times, call] of Math.random() < 0.5 ? calls : [...calls].reverse()) {
        const started = performance.now();
        await call();
        if (i >= 20) times.push(performance.now() - started);
      }
    }
    client.destroy();
    const rawMs = await timeRawUpdates(stacks.on!.stack.outputs.dynamoDbEndpoint!, limit, options.frames);
    const aloneServerMs = rateWrites(observer.since(stacks.on!.dynamoDbPort, beforeAlone)).serverMs;

    const all = rounds.flatMap((r) => variants.flatMap((v) => routes.flatMap((route) => r.times[v][route])));
    return {
      rounds,
      counts,
      framesPerVariantAndRoute: options.rounds * options.frames,
      refusals: variants.reduce((sum, v) => sum + senders[v].refusals.length, 0),
      lost: all.filter((ms) => Number.isNaN(ms)).length,
      adapterMs,
      clientMs,
      rawMs,
      aloneServerMs,
      leaseRequests: {
        atDefault: await leaseRequests({ rate: defaults.userMessageRate, burst: defaults.userMessageBurst }),
        measured: await leaseRequests({ rate: limit.rate, burst: limit.burst }),
      },
    };
  } finally {
    for (const variant of variants) await stacks[variant]?.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// 2. A flood.

interface FloodRound {
  /** The route the nine talk on; the flooder always floods `sendmessage`. */
  readonly route: Route;
  readonly flood: boolean;
  /** The talkers' frames: sent, and deliveries expected (each to every connection) and made. */
  readonly talkerFrames: number;
  readonly expected: number;
  readonly delivered: number;
  /** Send → delivery, ms, one per delivery. */
  readonly latencies: number[];
  /** First send → last delivery of the talkers' frames, ms. */
  readonly spanMs: number;
  readonly talkerRefusals: number;
  readonly flooderSent: number;
  /** The flooder's frames that were broadcast (reached its own connection). */
  readonly flooderDelivered: number;
  readonly flooderRefused: number;
  readonly flooderUnanswered: number;
  /** The flooder's first frame sent → its last frame answered (delivered or refused), ms. */
  readonly flooderSpanMs: number;
  /** End of sending → the last answer (delivery or refusal) of the round. */
  readonly drainMs: number;
  readonly rateWrites: OperationCount;
  readonly dynamoDbRequests: number;
}

export interface FloodResult {
  readonly rounds: FloodRound[];
  readonly rate: number;
  readonly burst: number;
  readonly connections: number;
}

async function runFlood(options: LimitsOptions, observer: ReturnType<typeof observeDynamoDb>): Promise<FloodResult> {
  const { userMessageRate: limitRate, userMessageBurst: burst } = defaults;
  const bench = await startBenchStack({});
  try {
    const talkers: TestClient[] = [];
    for (let k = 0; k < options.talkers; k += 1) talkers.push(await bench.connect(`talker-${k}@example.com`));
    const flooder = await bench.connect("flooder@example.com");
    const everyone = [...talkers, flooder];
    for (const client of everyone) {
      const subscribed = await request(client, { action: "subscribe", channel, id: "sub" });
      if (subscribed.type !== "subscribed") throw new Error(`subscribe refused: ${JSON.stringify(subscribed)}`);
    }

    // What each connection received in the round under way, by frame (a broadcast's text, a publish's data).
    let arrivedAt = new Map<string, number[]>();
    let refused = new Map<string, number>();
    let lastRefusalAt = 0;
    for (const client of everyone) {
      client.socket.on("message", (data) => {
        const at = performance.now();
        const text = String(data);
        let tag = text;
        if (text.startsWith("{")) {
          const frame = JSON.parse(text) as { type?: string; data?: string; error?: { code?: string }; id?: string };
          if (frame.error?.code === "TooManyRequests" && frame.id) {
            refused.set(frame.id, (refused.get(frame.id) ?? 0) + 1);
            lastRefusalAt = at;
          }
          if (frame.type !== "message") return;
          tag = String(frame.data);
        }
        (arrivedAt.get(tag) ?? arrivedAt.set(tag, []).get(tag)!).push(at);
      });
    }
    // Unmeasured: starts the function instances.
    for (const [k, client] of talkers.entries()) {
      await client.send(JSON.stringify({ action: "sendmessage", data: `warm-${k}`, id: `warm-${k}` }));
      await client.send(JSON.stringify({ action: "publish", channel, data: `warm-${k}`, id: `warm-${k}` }));
    }
    await sleep(3000);

    const rounds: FloodRound[] = [];
    const perTalker = Math.round(options.talkRate * options.floodSeconds);
    const floodFrames = Math.round(options.floodRate * options.floodSeconds);
    // Per route the nine talk on, ABBA: flood, quiet, quiet, flood, …
    const plan = routes.flatMap((route) => Array.from({ length: options.floodRounds * 2 }, (_, i) => ({ route, flood: [true, false, false, true][i % 4]! })));
    for (const [round, { route, flood }] of plan.entries()) {
      arrivedAt = new Map();
      refused = new Map();
      lastRefusalAt = 0;
      const sentAt = new Map<string, number>();
      const before = observer.snapshot(bench.dynamoDbPort);
      const start = performance.now() + 50;
      const talking = talkers.map(async (client, k) => {
        for (let j = 0; j < perTalker; j += 1) {
          // Spread over the second: talker k sends at k/n of each interval.
          const due = start + ((j + k / talkers.length) * 1000) / options.talkRate;
          await sleep(Math.max(0, due - performance.now()));
          const tag = `t${round}-${k}-${j}`;
          sentAt.set(tag, performance.now());
          const body = route === "publish" ? { action: "publish", channel, data: tag, id: tag } : { action: "sendmessage", data: tag, id: tag };
          await client.send(JSON.stringify(body));
        }
      });
      const flooding = (async () => {
        if (!flood) return;
        await sleep(Math.max(0, start - performance.now()));
        let sent = 0;
        while (sent < floodFrames) {
          const due = Math.min(floodFrames, Math.floor(((performance.now() - start) / 1000) * options.floodRate));
          const sends: Promise<void>[] = [];
          for (; sent < due; sent += 1) {
            const tag = `f${round}-${sent}`;
            sentAt.set(tag, performance.now());
            sends.push(flooder.send(JSON.stringify({ action: "sendmessage", data: tag, id: tag })));
          }
          await Promise.all(sends);
          await sleep(5);
        }
      })();
      await Promise.all([...talking, flooding]);
      const endedAt = performance.now();

      const talkerTags = [...sentAt.keys()].filter((tag) => tag.startsWith("t"));
      const floodTags = [...sentAt.keys()].filter((tag) => tag.startsWith("f"));
      const answered = (tag: string) => refused.has(tag) || (arrivedAt.get(tag)?.length ?? 0) > 0;
      const done = () => talkerTags.every((tag) => (arrivedAt.get(tag)?.length ?? 0) >= everyone.length) && floodTags.every(answered);
      while (!done() && performance.now() - endedAt < options.drainTimeoutMs) await sleep(100);
      const latest = (times: Iterable<number>, from: number) => [...times].reduce((last, at) => Math.max(last, at), from);
      const lastAnswer = latest([...arrivedAt.values()].flat(), Math.max(endedAt, lastRefusalAt));
      await sleep(500);

      const latencies = talkerTags.flatMap((tag) => (arrivedAt.get(tag) ?? []).map((at) => at - sentAt.get(tag)!));
      const counts = observer.since(bench.dynamoDbPort, before);
      const result: FloodRound = {
        route,
        flood,
        talkerFrames: talkerTags.length,
        expected: talkerTags.length * everyone.length,
        delivered: latencies.length,
        latencies,
        spanMs: latest(talkerTags.flatMap((tag) => arrivedAt.get(tag) ?? []), start) - start,
        talkerRefusals: talkerTags.filter((tag) => refused.has(tag)).length,
        flooderSent: floodTags.length,
        flooderDelivered: floodTags.filter((tag) => (arrivedAt.get(tag)?.length ?? 0) > 0).length,
        flooderRefused: floodTags.filter((tag) => refused.has(tag)).length,
        flooderUnanswered: floodTags.filter((tag) => !answered(tag)).length,
        flooderSpanMs: flood ? latest(floodTags.flatMap((tag) => arrivedAt.get(tag)?.slice(-1) ?? []), lastRefusalAt) - sentAt.get(floodTags[0]!)! : Number.NaN,
        drainMs: lastAnswer - endedAt,
        rateWrites: rateWrites(counts),
        dynamoDbRequests: [...counts.values()].reduce((sum, c) => sum + c.requests, 0),
      };
      rounds.push(result);
      console.log(
        `  round ${round + 1} (talkers on ${route}, ${flood ? "flood" : "quiet"}): talkers ${result.delivered}/${result.expected} delivered, p50 ${millis(quantile(latencies, 0.5))}, p99 ${millis(quantile(latencies, 0.99))}` +
          (flood ? `; flooder ${result.flooderDelivered} delivered, ${result.flooderRefused} TooManyRequests, ${result.flooderUnanswered} unanswered, last answer ${millis(result.drainMs, 0)} after the sending` : ""),
      );
      // The next round starts in a fresh rate window of the flooder (windows last burst / rate).
      await sleep((burst / limitRate) * 1000 + 500);
    }
    return { rounds, rate: limitRate, burst, connections: everyone.length };
  } finally {
    await bench.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Report.

export interface LimitsResult {
  readonly options: LimitsOptions;
  readonly cost: CostResult;
  readonly flood: FloodResult;
}

export async function runLimits(options: LimitsOptions = limitsDefaults): Promise<LimitsResult> {
  const observer = observeDynamoDb();
  try {
    console.log(`cost: ${options.rounds} rounds of ${options.frames} frames per stack and route`);
    const cost = await runCost(options, observer);
    console.log(`flood: ${options.floodRounds} rounds of ${options.floodSeconds} s, ${options.talkers} talkers at ${options.talkRate}/s, the flood at ${options.floodRate}/s in every other`);
    const flood = await runFlood(options, observer);
    return { options, cost, flood };
  } finally {
    observer.stop();
  }
}

const p = (values: readonly number[], q: number) => quantile(values.filter((v) => !Number.isNaN(v)), q);

/** Medians over rounds of a per-round figure. */
const overRounds = <T>(rounds: readonly T[], figure: (round: T) => number) => median(rounds.map(figure));

/** A count's median over rounds, whole. */
const wholeOverRounds = <T>(rounds: readonly T[], figure: (round: T) => number) => Math.round(overRounds(rounds, figure));

const roundsOf = (flood: FloodResult, route: Route, flooded: boolean) => flood.rounds.filter((r) => r.route === route && r.flood === flooded);
const deliveryRate = (r: FloodRound) => r.delivered / (r.spanMs / 1000);
/** The most a window counter admits over a span: every window it touches, full. */
const admissible = (spanMs: number, { rate: limitRate, burst }: FloodResult) => burst * (Math.ceil(spanMs / ((burst / limitRate) * 1000)) + 1);

export function limitsFindings({ cost, flood }: LimitsResult) {
  const addedP50 = (route: Route) => overRounds(cost.rounds, (r) => p(r.times.on[route], 0.5) / p(r.times.off[route], 0.5) - 1);
  const addedP99 = (route: Route) => overRounds(cost.rounds, (r) => p(r.times.on[route], 0.99) / p(r.times.off[route], 0.99) - 1);
  const writesPerFrame = (variant: Variant) => routes.reduce((sum, r) => sum + rateWrites(cost.counts[variant][r]).requests, 0) / (cost.framesPerVariantAndRoute * routes.length);
  const rounds = (route: Route, flooded: boolean) => roundsOf(flood, route, flooded);
  const floods = flood.rounds.filter((r) => r.flood);
  const byRoute = (route: Route) => {
    const figures = {
      quietDeliveriesPerSecond: overRounds(rounds(route, false), deliveryRate),
      floodDeliveriesPerSecond: overRounds(rounds(route, true), deliveryRate),
      floodDeliveredShare: overRounds(rounds(route, true), (r) => r.delivered / r.expected),
      quietP99Ms: overRounds(rounds(route, false), (r) => p(r.latencies, 0.99)),
      floodP99Ms: overRounds(rounds(route, true), (r) => p(r.latencies, 0.99)),
    };
    // The issue's measure: the others' deliveries, rates side by side (all delivered, within 10%).
    return { ...figures, unaffected: figures.floodDeliveredShare >= 0.999 && figures.floodDeliveriesPerSecond >= 0.9 * figures.quietDeliveriesPerSecond };
  };
  return {
    publishAddedP50: addedP50("publish"),
    publishAddedP99: addedP99("publish"),
    sendmessageAddedP50: addedP50("sendmessage"),
    sendmessageAddedP99: addedP99("sendmessage"),
    rateWritesPerFrameOn: writesPerFrame("on"),
    rateWritesPerFrameOff: writesPerFrame("off"),
    talkersOnSendmessage: byRoute("sendmessage"),
    talkersOnPublish: byRoute("publish"),
    flooderDelivered: overRounds(floods, (r) => r.flooderDelivered),
    flooderRefused: overRounds(floods, (r) => r.flooderRefused),
    flooderWithinLimit: floods.every((r) => r.flooderDelivered <= admissible(r.flooderSpanMs, flood)),
    floodRateWritesPerFrame: overRounds(floods, (r) => r.rateWrites.requests / (r.talkerFrames + r.flooderSent)),
  };
}

export function limitsSection(result: LimitsResult): string {
  const { options, cost, flood } = result;
  const f = limitsFindings(result);
  const instances = localDefaults.functionInstances;
  const met = (ok: boolean) => (ok ? "met" : "**not met**");

  const costRow = (route: Route, variant: Variant) => {
    const p50 = overRounds(cost.rounds, (r) => p(r.times[variant][route], 0.5));
    const p99 = overRounds(cost.rounds, (r) => p(r.times[variant][route], 0.99));
    const added = variant === "on" ? `${percent(route === "publish" ? f.publishAddedP50 : f.sendmessageAddedP50)} · ${percent(route === "publish" ? f.publishAddedP99 : f.sendmessageAddedP99)}` : "–";
    const label = variant === "on" ? `limit **on** (${costSettings.on.userMessageRate}/s, burst ${costSettings.on.userMessageBurst})` : "limit off (`userMessageRate` 0)";
    return [`\`${route}\``, label, millis(p50, 2), millis(p99, 2), added];
  };
  const perFrame = (variant: Variant, route: Route) =>
    [...cost.counts[variant][route]]
      .filter(([, c]) => c.requests > 0)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, c]) => `${key.replace(" ", " \`")}\` ${(c.requests / cost.framesPerVariantAndRoute).toFixed(2)}`)
      .join(" · ");
  const rateServerMs = median(routes.flatMap((r) => rateWrites(cost.counts.on[r]).serverMs));
  const addedMs = (route: Route) => overRounds(cost.rounds, (r) => p(r.times.on[route], 0.5) - p(r.times.off[route], 0.5));
  const floods = flood.rounds.filter((r) => r.flood);
  const costMet = [f.publishAddedP50, f.sendmessageAddedP50].every((added) => added <= 0.1);
  const writesMet = f.rateWritesPerFrameOn <= 1 && f.floodRateWritesPerFrame <= 1;

  const floodRow = (route: Route, flooded: boolean) => {
    const these = roundsOf(flood, route, flooded);
    return [
      `\`${route}\`, ${flooded ? `**with** the flood (${options.floodRate.toLocaleString("en")}/s)` : "without the flood"}`,
      `${wholeOverRounds(these, (r) => r.delivered)} of ${wholeOverRounds(these, (r) => r.expected)}`,
      `${rate(overRounds(these, deliveryRate))}/s`,
      millis(overRounds(these, (r) => p(r.latencies, 0.5)), 1),
      millis(overRounds(these, (r) => p(r.latencies, 0.99)), 1),
      millis(overRounds(these, (r) => Math.max(...r.latencies)), 0),
      String(wholeOverRounds(these, (r) => r.talkerRefusals)),
    ];
  };
  const flooderSpanMs = overRounds(floods, (r) => r.flooderSpanMs);
  const answeredPerSecond = overRounds(floods, (r) => (r.flooderSent - r.flooderUnanswered) / (r.flooderSpanMs / 1000));
  const window = flood.burst / flood.rate;

  return [
    "The local stack in the measuring process (gateway, function workers, dynalite; cognito-local as its child),",
    `function logs at WARN, ${instances} instances per function (the local stack's default), the TTL emulation and`,
    "the expiry sweeper off (no background scans); `ws` clients in the same process. DynamoDB requests are",
    "counted where dynalite serves them (Node's `http.server.request.start` diagnostics channel), by operation",
    "and table.",
    "",
    "**Cost of the check**: two stacks side by side in one process, the limit on (never refusing) and off, warm; one",
    `connection each, subscribed to \`${channel}\` (its one subscriber). Two stacks rather than one restarted between`,
    "rounds: the functions read the limit when an instance starts, and a restart would measure cold instances. Frames",
    `one at a time, the two stacks alternating frame by frame in a shuffled order; ${options.rounds} rounds of ${options.frames} frames per stack and`,
    "route; timed from `send` to the sender's own delivery (the `message` of a publish, which follows its `published`;",
    "the broadcast's text); medians over rounds, added time as the median of per-round ratios.",
    "",
    table(["route", "variant", "p50", "p99", "added p50 · p99"], routes.flatMap((route) => variants.map((variant) => costRow(route, variant)))),
    "",
    `Added by the limit at p50: **${percent(f.publishAddedP50)}** on \`publish\`, **${percent(f.sendmessageAddedP50)}** on \`sendmessage\` (goal ≤ +10%: ${met(costMet)}),`,
    `${millis(addedMs("publish"), 2)} and ${millis(addedMs("sendmessage"), 2)} per frame (medians of per-round, paired figures; the medians of p50 in the table`,
    "may come from different rounds). Where that time goes: a frame that finds a lease on its function instance makes no",
    "request; one that does not waits for the counter's `UpdateItem`, which takes the next lease (one frame at first, then twice",
    `as many while the user keeps sending, up to a quarter of what the window has left): here ${f.rateWritesPerFrameOn.toFixed(3)} requests per frame.`,
    "On `sendmessage` the request runs beside the route's own first request (the first page of the connections), and",
    "only the posting waits for it; on `publish` nothing can run beside it: the route's first request takes the channel's",
    "next seq, which a refused frame must not take, and its authorization reads nothing under the default channel rules.",
    `The leases depend on the limit: at the default (${defaults.userMessageRate}/s, burst ${defaults.userMessageBurst}), a user sending a whole window's burst through one`,
    `instance makes ${cost.leaseRequests.atDefault} requests for its ${defaults.userMessageBurst} frames, and with the limit measured here ${cost.leaseRequests.measured} for a window's ${costSettings.on.userMessageBurst}.`,
    `In the measured frames dynalite serves the counter's \`UpdateItem\` in ${millis(rateServerMs, 2)} (median, request in → response out).`,
    "Called alone from this process, one at a time on the same dynalite (p50s): the functions' adapter",
    `(\`createDynamoDbFrameCounter\`: the SDK's signer on Node's HTTP client, without the generated client) takes ${millis(median(cost.adapterMs), 2)} per call,`,
    `the same request through the generated client (\`UpdateItemCommand\`, alternating with it) ${millis(median(cost.clientMs), 2)}, and as a pre-built`,
    `HTTP POST without the SDK ${millis(median(cost.rawMs), 2)}, of which dynalite ${millis(median(cost.aloneServerMs), 2)}. The ratio depends on what else a frame costs: here a`,
    `whole \`sendmessage\` takes ${millis(overRounds(cost.rounds, (r) => p(r.times.off.sendmessage, 0.5)), 1)} and a \`publish\` ${millis(overRounds(cost.rounds, (r) => p(r.times.off.publish, 0.5)), 1)} without the limit; on AWS the same call is one of`,
    "several on the frame's path (API Gateway, Lambda, the route's own DynamoDB calls), which this run does not measure.",
    `Refusals during the measurement: ${cost.refusals}; frames lost (no delivery in 10 s): ${cost.lost}.`,
    "",
    `**DynamoDB requests per frame** (${cost.framesPerVariantAndRoute} frames per stack and route, counted at dynalite):`,
    "",
    table(
      ["route", "limit on", "limit off"],
      routes.map((route) => [`\`${route}\``, perFrame("on", route), perFrame("off", route)]),
    ),
    "",
    `Writes to the rate counter: **${f.rateWritesPerFrameOn.toFixed(3)} per frame** with the limit on (an \`UpdateItem\` per lease, no read),`,
    `${f.rateWritesPerFrameOff.toFixed(3)} off. Under the flood below, ${f.floodRateWritesPerFrame.toFixed(3)} per frame sent (${wholeOverRounds(floods, (r) => r.rateWrites.requests)} writes for`,
    `${wholeOverRounds(floods, (r) => r.flooderSent + r.talkerFrames)} frames per flood round, ${wholeOverRounds(floods, (r) => r.flooderRefused + r.talkerRefusals)} of them refused): a window's frames are counted, a lease at a time, until the count reaches the`,
    "burst; an instance that has seen that refuses the user's further frames in the window without a request. Goal: at most",
    `one write per frame: ${met(writesMet)}.`,
    "",
    `**A flood**: one stack with the default limit (${flood.rate}/s, burst ${flood.burst}: windows of ${window} s admitting ${flood.burst} frames each);`,
    `${flood.connections} connections, one per user, all subscribed to \`${channel}\`. ${options.talkers} users each send ${options.talkRate} frames a second (spread`,
    `over the second) for ${options.floodSeconds} s, on \`sendmessage\` (each a broadcast to all ${flood.connections}) or on \`publish\` (to the channel's ${flood.connections});`,
    `in every other round a tenth user floods \`sendmessage\` at ${options.floodRate.toLocaleString("en")} frames/s for the same ${options.floodSeconds} s. Per talkers' route,`,
    `${options.floodRounds * 2} rounds, ABBA. A round ends when every frame is delivered or answered (at most ${options.drainTimeoutMs / 1000} s after the sending);`,
    "latency from `send` to each delivery (one per receiving connection); rate: deliveries over first send → last",
    "delivery; medians over rounds.",
    "",
    table(
      ["the nine talkers' frames, on", "delivered", "deliveries/s", "p50", "p99", "max", "refused"],
      routes.flatMap((route) => [floodRow(route, false), floodRow(route, true)]).reverse(),
    ),
    "",
    `The flooder: ${wholeOverRounds(floods, (r) => r.flooderSent)} frames sent per round, **${wholeOverRounds(floods, (r) => r.flooderDelivered)} broadcast**,`,
    `**${wholeOverRounds(floods, (r) => r.flooderRefused)} answered \`TooManyRequests\`**, ${wholeOverRounds(floods, (r) => r.flooderUnanswered)} unanswered (medians over its ${floods.length} rounds).`,
    `The limit counts a frame when the function runs, not when it was sent: the flood's frames were answered over`,
    `${millis(flooderSpanMs, 0)} (first sent → last answered), so rate × that + burst = ${Math.round((flood.rate * flooderSpanMs) / 1000 + flood.burst)} frames`,
    `(rate × the ${options.floodSeconds} s of sending + burst = ${flood.rate * options.floodSeconds + flood.burst}); every round within the window counter's bound`,
    `(burst × windows touched): ${met(f.flooderWithinLimit)}. Each refused frame still costs an invocation of \`sendmessage\` and the post`,
    `of its error frame, and no DynamoDB request once the instance knows the window is full: here ${rate(answeredPerSecond)} frames/s answered by ${instances} instances.`,
    `DynamoDB requests in all: ${wholeOverRounds(floods, (r) => r.dynamoDbRequests)} per flood round, ${wholeOverRounds(flood.rounds.filter((r) => !r.flood), (r) => r.dynamoDbRequests)} per quiet one.`,
    "",
    whereFloodTimeGoes(result, answeredPerSecond),
    "",
    `Goals: the flooder gets \`TooManyRequests\` and no more than the limit through: ${met(f.flooderRefused > 0 && f.flooderWithinLimit)}.`,
    `The others' deliveries unaffected (all delivered, deliveries/s within 10% of the rounds without the flood): on`,
    `\`sendmessage\`, the flooded route, ${met(f.talkersOnSendmessage.unaffected)}; on \`publish\`, ${met(f.talkersOnPublish.unaffected)}${
      f.talkersOnPublish.unaffected ? `, their p99 going from ${millis(f.talkersOnPublish.quietP99Ms, 0)} to ${millis(f.talkersOnPublish.floodP99Ms, 0)}` : ""
    }.`,
  ].join("\n");
}

/** Why the talkers' frames were slower under the flood, from the figures. */
function whereFloodTimeGoes({ options, flood }: LimitsResult, answeredPerSecond: number): string {
  const instances = localDefaults.functionInstances;
  const floods = flood.rounds.filter((r) => r.flood);
  const p50 = (route: Route, flooded: boolean) => millis(overRounds(roundsOf(flood, route, flooded), (r) => p(r.latencies, 0.5)), 0);
  return [
    "Where the talkers' time goes under the flood. The limit runs inside the function, so every refused frame is still an",
    `invocation and the post of an error frame. On \`sendmessage\` the talkers' frames share the function with the flood: the local`,
    `function host runs ${instances} instances of a function and queues further invocations in arrival order (Lambda starts more`,
    `instances instead, up to the account's concurrency: not measured here); the flood arrives at ${options.floodRate.toLocaleString("en")}/s and is`,
    `answered at ${rate(answeredPerSecond)}/s, its last frame ${millis(overRounds(floods, (r) => r.drainMs), 0)} after the sending (median), and a talker's frame waits behind`,
    `whatever is queued when it arrives (p50 ${p50("sendmessage", false)} → ${p50("sendmessage", true)}). On \`publish\` nothing is queued ahead of them but the two`,
    "cores are shared: the gateway and dynalite (one event loop) and the `sendmessage` instances are busy answering the",
    `flood (p50 ${p50("publish", false)} → ${p50("publish", true)}).`,
  ].join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: "string" },
      frames: { type: "string" },
      "flood-rounds": { type: "string" },
      "flood-rate": { type: "string" },
      "flood-seconds": { type: "string" },
      "no-write": { type: "boolean", default: false },
    },
  });
  const count = (name: keyof typeof values, fallback: number, max: number): number => {
    const given = values[name];
    if (given === undefined) return fallback;
    const value = Number(given);
    if (!Number.isInteger(value) || value < 1 || value > max) throw new Error(`--${name} must be an integer from 1 to ${max}, got "${given}"`);
    return value;
  };
  const options: LimitsOptions = {
    ...limitsDefaults,
    rounds: count("rounds", limitsDefaults.rounds, 100),
    frames: count("frames", limitsDefaults.frames, 10_000),
    floodRounds: count("flood-rounds", limitsDefaults.floodRounds, 20),
    floodRate: count("flood-rate", limitsDefaults.floodRate, 5000),
    floodSeconds: count("flood-seconds", limitsDefaults.floodSeconds, 60),
  };
  const started = performance.now();
  const loadBefore = currentLoad();
  const result = await runLimits(options);
  const command = `npx tsx bench/limits.ts --rounds ${options.rounds} --frames ${options.frames} --flood-rounds ${options.floodRounds} --flood-rate ${options.floodRate} --flood-seconds ${options.floodSeconds}`;
  const body = `## Per-user rate limit\n\n${provenance(command, (performance.now() - started) / 1000, loadBefore)}\n\n${limitsSection(result)}\n${findingsComment("limits", limitsFindings(result))}`;
  console.log(`\n${body}`);
  if (!values["no-write"]) {
    await writeSection("limits", body);
    await writeSection("goals", goalsSection(readFindings(await readBenchmarks())));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
