/**
 * `npm run load`: the local stack under load, on 127.0.0.1. Opens authenticated connections
 * (default 1,000, spread over 10 users) and fires a broadcast storm (default 40 broadcasts from
 * random senders, all in flight at once). Then every connection subscribes to one channel, and
 * rounds of a burst of `publish` on it and a burst of `sendmessage` (the same count, to the same
 * connections) alternate, so that the two rates are compared within one run. Last, resumes: a new
 * connection subscribes with `since` to a channel whose last 100 messages it missed. Every
 * message must reach every connection exactly once. Figures go to BENCHMARKS.md, section "load".
 *
 *   npm run load -- --connections 1000 --users 10 --broadcasts 40 --rounds 9 --burst 20 --resumes 9
 *
 * The stack runs in its own process (as `npm start` does), so its memory is measured apart from
 * the clients'.
 */
import { spawn } from "node:child_process";
import { once as eventOnce } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import pMap from "p-map";
import { parseOutputs, type StackOutputs } from "../local/outputs.js";
import { localSettingKeys } from "../local/stack.js";
import { request } from "../tests/support/channel-frames.js";
import { signUp, type SignedInUser } from "../tests/support/local-stack.js";
import { TestClient } from "../tests/support/ws-client.js";
import { goalsSection } from "./goals.js";
import { currentLoad, findingsComment, provenance, readBenchmarks, readFindings, writeSection } from "./lib/report.js";
import { median, millis, rate, ratio, seconds, table } from "./lib/stats.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const { values } = parseArgs({
  options: {
    connections: { type: "string", default: "1000" },
    users: { type: "string", default: "10" },
    broadcasts: { type: "string", default: "40" },
    rounds: { type: "string", default: "9" },
    burst: { type: "string", default: "20" },
    resumes: { type: "string", default: "9" },
    "no-write": { type: "boolean", default: false },
  },
});
type CountOption = "connections" | "users" | "broadcasts" | "rounds" | "burst" | "resumes";
const count = (name: CountOption, max: number): number => {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < 1 || value > max) throw new Error(`--${name} must be an integer from 1 to ${max}, got "${values[name]}"`);
  return value;
};
const connections = count("connections", 5000);
const users = count("users", connections);
const broadcasts = count("broadcasts", 1000);
const rounds = count("rounds", 100);
const burst = count("burst", 1000);
const resumes = count("resumes", 100);

/** Messages replayed per resume. */
const replayed = 100;
/**
 * The stack config of the run (`npm start -- --set KEY=VALUE`): function logs at WARN, history for
 * every resume whatever the defaults, the per-user limits off where the stack has them, since
 * a few users hold all the connections, and the deliver workers' pace at the local gateway's
 * quota, so that the rates measure the machinery rather than the pace.
 */
const settings: Record<string, string> = { logLevel: "WARN", channelHistorySeconds: "600", channelReplayLimit: String(replayed), postRateLimit: "10000" };
for (const limit of ["maxConnectionsPerUser", "userMessageRate"]) if ((localSettingKeys as readonly string[]).includes(limit)) settings[limit] = "0";
const setFlags = Object.entries(settings).map(([key, value]) => `--set ${key}=${value}`);
const channel = "public/load";
/** How every `message` frame of a channel starts (functions/core/channel-frames.ts): counted without parsing. */
const messagePrefix = (name: string) => `{"type":"message","channel":${JSON.stringify(name)},`;

/** Resident and peak memory of a process, from /proc (kB → MB). */
async function memoryOf(pid: number): Promise<{ rssMb: number; peakMb: number }> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN) / 1024;
  return { rssMb: field("VmRSS"), peakMb: field("VmHWM") };
}

async function startStackProcess(dataDirectory: string) {
  const ports = ["--gateway-port", "0", "--cognito-port", "0", "--dynamodb-port", "0", "--web-port", "0"];
  const child = spawn(process.execPath, ["--import", "tsx", "local/start.ts", "--data-dir", dataDirectory, ...ports, ...setFlags.flatMap((flag) => flag.split(" "))], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk: Buffer) => (output += chunk);
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const deadline = Date.now() + 60_000;
  while (!output.includes("Ready in")) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the local stack did not start:\n${output}`);
    await sleep(50);
  }
  // From now on: the access log (a line per request, on stdout) is dropped; errors show as they come.
  child.stdout.off("data", collect).resume();
  child.stderr.off("data", collect).on("data", (chunk: Buffer) => process.stderr.write(chunk));
  const outputs: StackOutputs = parseOutputs(await readFile(join(dataDirectory, "outputs.json"), "utf8"), "outputs.json");
  return {
    child,
    outputs,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** Deliveries checked per connection and message: each must arrive exactly once. */
interface Tally {
  delivered: number;
  duplicates: number;
  missing: number;
}

function tally(clients: readonly TestClient[], expected: readonly string[], keyOf: (text: string) => string | undefined): Tally {
  const result: Tally = { delivered: 0, duplicates: 0, missing: 0 };
  const wanted = new Set(expected);
  for (const client of clients) {
    const seen = new Map<string, number>();
    for (const text of client.messages) {
      const key = keyOf(text);
      if (key !== undefined) seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    for (const key of expected) {
      const times = seen.get(key) ?? 0;
      result.delivered += Math.min(times, 1);
      result.duplicates += Math.max(times - 1, 0);
      result.missing += times === 0 ? 1 : 0;
    }
    // Anything received that nobody sent counts as a duplicate too.
    for (const [key, times] of seen) if (!wanted.has(key)) result.duplicates += times;
  }
  return result;
}

type Kind = "broadcast" | "channel";

interface Round {
  readonly broadcastMs: number;
  readonly channelMs: number;
}

/**
 * The floor under a resume (bench/lib/post-floor.ts), in its own process as the stack is, read by a
 * client in this process as the resumes are: ms per round of `posts` posts of `bytes` each.
 */
async function postFloor(rounds: number, posts: number, bytes: number): Promise<number[]> {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/lib/post-floor.ts", String(posts), String(bytes)], { stdio: ["pipe", "pipe", "inherit"] });
  try {
    const { url } = JSON.parse(String(await eventOnce(createInterface({ input: child.stdout }), "line"))) as { url: string };
    const client = await TestClient.open(url);
    const roundsMs: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      // Idle before each round, as before each resume.
      await sleep(200);
      const received = client.messages.length;
      const started = performance.now();
      child.stdin.write("go\n");
      await client.message(received + posts - 1);
      roundsMs.push(performance.now() - started);
    }
    client.socket.terminate();
    return roundsMs;
  } finally {
    child.kill();
  }
}

interface Resume {
  /** `subscribe` sent → `subscribed` received. */
  readonly subscribedMs: number;
  /** `subscribe` sent → the first replayed message received. */
  readonly firstMs: number;
  /** `subscribe` sent → the last replayed message received. */
  readonly lastMs: number;
  /** `resumed: true`, and seqs 1–100 each once, in order. */
  readonly complete: boolean;
}

interface Figures {
  connections: number;
  users: number;
  broadcasts: number;
  rounds: number;
  burst: number;
  connectSeconds: number;
  connectionsPerSecond: number;
  stormSeconds: number;
  deliveriesPerSecond: number;
  storm: Tally;
  subscribeSeconds: number;
  subscriptionsPerSecond: number;
  roundTimes: Round[];
  broadcastRounds: Tally;
  channelRounds: Tally;
  resumes: Resume[];
  /** Bytes of a replayed `message` frame. */
  frameBytes: number;
  /** The post floor, ms per round of as many posts as a resume makes (`subscribed` and the replay). */
  floorMs: number[];
  idleRssMb: number;
  connectedRssMb: number;
  peakRssMb: number;
  kbPerConnection: number;
}

async function run(): Promise<Figures> {
  const dataDirectory = await mkdtemp(join(tmpdir(), "load-"));
  const stack = await startStackProcess(dataDirectory);
  const open: TestClient[] = [];
  const connect = async (url: string) => {
    const client = await TestClient.open(url);
    open.push(client);
    return client;
  };
  try {
    const { outputs } = stack;
    console.log(`stack up (pid ${stack.child.pid}); signing up ${users} users`);
    const accounts: SignedInUser[] = await pMap(Array.from({ length: users }, (_, i) => `load-${i}@example.com`), (email) => signUp(outputs, email), { concurrency: 5 });
    const urlOf = (account: SignedInUser) => `${outputs.webSocketUrl}?idToken=${account.idToken}`;
    await sleep(500);
    const idle = await memoryOf(stack.child.pid!);

    console.log(`opening ${connections} connections`);
    const connectMany = (count: number) => pMap(Array.from({ length: count }, (_, i) => accounts[i % users]!), (account) => connect(urlOf(account)), { concurrency: 50 });
    // The first tenth also starts the function instances; memory per connection is read after it.
    const warmUp = Math.ceil(connections / 10);
    const connectStarted = performance.now();
    const clients = await connectMany(warmUp);
    await sleep(300);
    const warm = await memoryOf(stack.child.pid!);
    clients.push(...(await connectMany(connections - warmUp)));
    const connectMs = performance.now() - connectStarted;
    await sleep(500);
    const connected = await memoryOf(stack.child.pid!);

    // Counts the deliveries of the burst under way, without parsing them.
    let counting: { prefix: string; arrived: number; expected: number; done: () => void } | undefined;
    for (const client of clients) {
      client.socket.on("message", (data) => {
        if (counting && String(data).startsWith(counting.prefix) && ++counting.arrived === counting.expected) counting.done();
      });
    }
    /** Sends the frames at once; the time until every connection received every message. */
    async function timed(prefix: string, frames: readonly string[]): Promise<number> {
      const arrived = new Promise<void>((done) => (counting = { prefix, arrived: 0, expected: frames.length * connections, done }));
      const started = performance.now();
      await Promise.all(frames.map((frame, i) => clients[(i * 7919) % connections]!.send(frame)));
      await Promise.race([arrived, sleep(120_000, undefined, { ref: false })]);
      const ms = performance.now() - started;
      counting = undefined;
      await sleep(300);
      return ms;
    }

    console.log(`broadcast storm: ${broadcasts} broadcasts, ${broadcasts * connections} deliveries expected`);
    const stormIds = Array.from({ length: broadcasts }, (_, i) => `storm-${i}`);
    const stormMs = await timed("storm-", stormIds.map((id) => JSON.stringify({ action: "sendmessage", data: id })));
    const storm = tally(clients, stormIds, (text) => (text.startsWith("storm-") ? text : undefined));

    console.log(`subscribing ${connections} connections to ${channel}`);
    const subscribeStarted = performance.now();
    const replies = await pMap(clients, (client) => request(client, { action: "subscribe", channel, id: "load" }), { concurrency: 50 });
    const subscribeMs = performance.now() - subscribeStarted;
    const refused = replies.filter((reply) => reply.type !== "subscribed");
    if (refused.length > 0) throw new Error(`${refused.length} subscriptions refused, the first: ${JSON.stringify(refused[0])}`);
    await sleep(1000);

    console.log(`${rounds} rounds of ${burst} publishes and ${burst} broadcasts, alternating`);
    const broadcastIds: string[] = [];
    // Unmeasured: a few publishes start the publish function's instances (the storm started sendmessage's).
    const publishIds = ["warm-0", "warm-1", "warm-2", "warm-3"];
    await timed(messagePrefix(channel), publishIds.map((id) => JSON.stringify({ action: "publish", channel, data: id, id })));
    const roundTimes: Round[] = [];
    for (let round = 0; round < rounds; round += 1) {
      const times: Partial<Record<Kind, number>> = {};
      for (const kind of round % 2 === 0 ? (["channel", "broadcast"] as const) : (["broadcast", "channel"] as const)) {
        const ids = Array.from({ length: burst }, (_, i) => `${kind === "channel" ? "p" : "b"}${round}-${i}`);
        (kind === "channel" ? publishIds : broadcastIds).push(...ids);
        times[kind] =
          kind === "channel"
            ? await timed(messagePrefix(channel), ids.map((id) => JSON.stringify({ action: "publish", channel, data: id, id })))
            : await timed(`b${round}-`, ids.map((id) => JSON.stringify({ action: "sendmessage", data: id })));
      }
      roundTimes.push({ broadcastMs: times.broadcast!, channelMs: times.channel! });
      console.log(`  round ${round + 1}: channel ${rate((burst * connections) / (times.channel! / 1000))}/s, broadcast ${rate((burst * connections) / (times.broadcast! / 1000))}/s`);
    }
    const peak = await memoryOf(stack.child.pid!);

    // Every publish was acknowledged with its seq; each connection must hold each of those seqs once.
    const acks = new Map<string, number>();
    for (const client of clients) {
      for (const text of client.messages) {
        if (!text.startsWith('{"type":"published"')) continue;
        const ack = JSON.parse(text) as { id: string; seq: number };
        acks.set(ack.id, ack.seq);
      }
    }
    const seqs = publishIds.map((id) => String(acks.get(id) ?? `unacknowledged ${id}`));
    const channelRounds = tally(clients, seqs, (text) => (text.startsWith(messagePrefix(channel)) ? String((JSON.parse(text) as { seq: number }).seq) : undefined));
    const broadcastRounds = tally(clients, broadcastIds, (text) => (/^b\d+-\d+$/.test(text) ? text : undefined));

    console.log(`${resumes} resumes of ${replayed} messages`);
    const resumeResults: Resume[] = [];
    let frameBytes = 0;
    for (let k = 0; k < resumes; k += 1) {
      const name = `public/resume-${k}`;
      const publisher = await connect(urlOf(accounts[(k + 1) % users]!));
      await pMap(Array.from({ length: replayed }, (_, i) => i), (i) => request(publisher, { action: "publish", channel: name, data: `r${k}-${i}`, id: `r${k}-${i}` }), { concurrency: 10 });
      // A connection opened after a drop: it missed all of them.
      const resumer = await connect(urlOf(accounts[k % users]!));
      await sleep(200);
      const prefix = messagePrefix(name);
      let subscribedAt = Number.NaN;
      let firstAt = Number.NaN;
      const last = new Promise<number>((resolve) => {
        let received = 0;
        resumer.socket.on("message", (data) => {
          const text = String(data);
          const now = performance.now();
          if (text.startsWith('{"type":"subscribed"')) subscribedAt = now;
          if (!text.startsWith(prefix)) return;
          received += 1;
          if (received === 1) firstAt = now;
          if (received === replayed) resolve(now);
        });
      });
      const sent = performance.now();
      await resumer.send(JSON.stringify({ action: "subscribe", channel: name, since: 0, id: "resume" }));
      const lastAt = await Promise.race([last, sleep(10_000, Number.NaN, { ref: false })]);
      await sleep(100);
      const frames = resumer.messages.map((text) => JSON.parse(text) as { type?: string; resumed?: boolean; seq?: number; channel?: string });
      const subscribed = frames.find((frame) => frame.type === "subscribed");
      const replay = frames.filter((frame) => frame.type === "message" && frame.channel === name).map((frame) => frame.seq);
      const complete = subscribed?.resumed === true && replay.join() === Array.from({ length: replayed }, (_, i) => i + 1).join();
      frameBytes = Buffer.byteLength(resumer.messages.find((text) => text.startsWith(prefix)) ?? "");
      resumeResults.push({ subscribedMs: subscribedAt - sent, firstMs: firstAt - sent, lastMs: lastAt - sent, complete });
      console.log(`  resume ${k + 1}: subscribed after ${millis(subscribedAt - sent)}, last of ${replayed} after ${millis(lastAt - sent)}${complete ? "" : " (INCOMPLETE)"}`);
      resumer.socket.close();
      publisher.socket.close();
    }

    return {
      connections,
      users,
      broadcasts,
      rounds,
      burst,
      connectSeconds: connectMs / 1000,
      connectionsPerSecond: connections / (connectMs / 1000),
      stormSeconds: stormMs / 1000,
      deliveriesPerSecond: storm.delivered / (stormMs / 1000),
      storm,
      subscribeSeconds: subscribeMs / 1000,
      subscriptionsPerSecond: connections / (subscribeMs / 1000),
      roundTimes,
      broadcastRounds,
      channelRounds,
      resumes: resumeResults,
      frameBytes,
      floorMs: [],
      idleRssMb: idle.rssMb,
      connectedRssMb: connected.rssMb,
      peakRssMb: peak.peakMb,
      kbPerConnection: ((connected.rssMb - warm.rssMb) * 1024) / (connections - warmUp),
    };
  } finally {
    for (const client of open) client.socket.terminate();
    await stack.stop();
    await rm(dataDirectory, { recursive: true, force: true });
  }
}

const exactlyOnce = (t: Tally) => t.duplicates === 0 && t.missing === 0;
const once = (t: Tally) => `${exactlyOnce(t) ? "yes" : "**no**"}: ${t.delivered} deliveries, ${t.duplicates} duplicates, ${t.missing} missing`;

export interface LoadFindings {
  /** Channel deliveries/s over the broadcast's, median of per-round ratios. */
  readonly channelOverBroadcast: number;
  readonly channelPerSecond: number;
  readonly broadcastPerSecond: number;
  readonly channelExactlyOnce: boolean;
  /** `subscribe` with `since` → the last of 100 replayed messages, median. */
  readonly resumeMs: number;
  readonly resumesComplete: boolean;
  /** The same number of posts with nothing but Node in the way, median. */
  readonly floorMs: number;
}

function loadFindings(figures: Figures): LoadFindings {
  const perSecond = (ms: number) => (figures.burst * figures.connections) / (ms / 1000);
  return {
    channelOverBroadcast: median(figures.roundTimes.map((round) => perSecond(round.channelMs) / perSecond(round.broadcastMs))),
    channelPerSecond: median(figures.roundTimes.map((round) => perSecond(round.channelMs))),
    broadcastPerSecond: median(figures.roundTimes.map((round) => perSecond(round.broadcastMs))),
    channelExactlyOnce: exactlyOnce(figures.channelRounds),
    resumeMs: median(figures.resumes.map((resume) => resume.lastMs)),
    resumesComplete: figures.resumes.every((resume) => resume.complete),
    floorMs: median(figures.floorMs),
  };
}

function section(figures: Figures, findings: LoadFindings): string {
  const perSecond = (ms: number) => (figures.burst * figures.connections) / (ms / 1000);
  const spread = (key: keyof Round) => {
    const rates = figures.roundTimes.map((round) => perSecond(round[key]));
    return `${rate(median(rates))}/s (${rate(Math.min(...rates))}–${rate(Math.max(...rates))})`;
  };
  const resume = (key: keyof Omit<Resume, "complete">) => {
    const times = figures.resumes.map((r) => r[key]);
    return `${millis(median(times))} (${millis(Math.min(...times))}–${millis(Math.max(...times))})`;
  };
  const perReplayed = median(figures.resumes.map((r) => (r.lastMs - r.firstMs) / (replayed - 1)));
  const ratios = figures.roundTimes.map((round) => round.broadcastMs / round.channelMs);
  const ratioRange = `${ratio(Math.min(...ratios))}–${ratio(Math.max(...ratios))}`;
  const n = figures.connections;
  return [
    "The local stack runs in its own process (`local/start.ts`: gateway, function workers, dynalite, cognito-local",
    `as its child) with \`${setFlags.join(" ")}\`; the ${n} \`ws\` clients, ${figures.users} users,`,
    "run in the measuring process.",
    "",
    table(
      ["figure", "value"],
      [
        [`authenticated connections opened (authorizer + \`$connect\` + DynamoDB put each, 50 at a time)`, `${n} in ${seconds(figures.connectSeconds * 1000)}: **${rate(figures.connectionsPerSecond)}/s**`],
        [`broadcast storm: ${figures.broadcasts} \`sendmessage\` at once to ${n} connections`, `${figures.storm.delivered} deliveries in ${seconds(figures.stormSeconds * 1000)}: **${rate(figures.deliveriesPerSecond)}/s**`],
        ["exactly once (storm)", once(figures.storm)],
        [`\`subscribe\` of every connection to one channel, 50 at a time`, `${n} in ${seconds(figures.subscribeSeconds * 1000)}: **${rate(figures.subscriptionsPerSecond)}/s**`],
        [`stack memory (RSS) idle → ${n} connections → peak`, `${figures.idleRssMb.toFixed(0)} MB → ${figures.connectedRssMb.toFixed(0)} MB → ${figures.peakRssMb.toFixed(0)} MB`],
        ["memory per open connection (RSS growth after the first tenth, whose connects also start the function instances)", `${figures.kbPerConnection.toFixed(1)} kB`],
      ],
    ),
    "",
    `**Channel publish vs broadcast**, to the same ${n} connections, all subscribed to \`${channel}\`: ${figures.rounds} rounds, each a burst of`,
    `${figures.burst} \`publish\` and a burst of ${figures.burst} \`sendmessage\` (all in flight at once, from spread senders), the order`,
    "alternating round by round, after 4 unmeasured publishes that start the `publish` function's instances; time from",
    "the first frame sent to the last delivery; medians (and range) over rounds. Exactly once: every connection holds each",
    "acknowledged seq (the unmeasured ones too) or broadcast once, and nothing else.",
    "",
    table(
      ["route", "deliveries/s", "exactly once (per connection per message)"],
      [
        ["`publish` on a channel (Query by channel; seq and retained copy first)", spread("channelMs"), once(figures.channelRounds)],
        ["`sendmessage` broadcast (Scan of the connections)", spread("broadcastMs"), once(figures.broadcastRounds)],
      ],
    ),
    "",
    `Channel over broadcast: **${ratio(findings.channelOverBroadcast)}** (median of per-round ratios, which ranged ${ratioRange}; goal ≥ 0.8×).`,
    "At this size both fan-outs go to the deliver workers (more than `fanOutShardSize` recipients), paced together at",
    "`postRateLimit`, here set to the local gateway's quota so that the rates are the machinery's rather than the pace's.",
    "Each publish also posts its `published` acknowledgement to the sender, not counted. Here the gateway and dynalite",
    "share the stack's event loop, so what a publish asks of DynamoDB beyond the broadcast (the seq, the retained copy, a",
    "Query returning whole subscriptions where the broadcast's Scan projects the ids) is time the gateway does not spend",
    "posting frames; on AWS it is another service's.",
    "",
    `**Resume**: a connection opened after a drop sends \`subscribe\` with \`since\` on a channel whose last ${replayed}`,
    `messages it missed (all retained); ${figures.resumes.length} resumes, one at a time, the stack otherwise idle; median (range).`,
    "",
    table(
      ["`subscribe` with `since` sent →", "time"],
      [
        ["`subscribed` (`resumed: true`) received", resume("subscribedMs")],
        ["the first replayed message received", resume("firstMs")],
        [`the last of ${replayed} replayed messages received`, `**${resume("lastMs")}**`],
        [`every resume complete (\`resumed: true\`, seqs 1–${replayed} once each, in order)`, findings.resumesComplete ? "yes" : "**no**"],
        [`the floor: ${replayed + 1} posts with nothing but Node in the way (below)`, millis(findings.floorMs)],
      ],
    ),
    "",
    `Resume: **${millis(findings.resumeMs)}** to the last of ${replayed} replayed messages (goal ≤ 50 ms: ${findings.resumeMs <= 50 ? "met" : "**not met**"}). \`subscribed\` comes after the`,
    "`subscribe` function's DynamoDB calls, three round trips one after the other: the connection's subscriptions and the",
    "user's other ones (together), the new one, then the latest seq and the retained messages (together). `subscribed` and",
    "the replay are then one sequence of posts, each sent once the one before it is answered, since API Gateway orders no",
    "posts in flight together; the function signs each next post while the one before it is in flight, and the gateway",
    `answers a post once it has taken the message for the connection, writing it after: ${millis(perReplayed)} per message here, so a`,
    "resume grows with its gap (on AWS, by the management API's latency per post; see the channel fan-out's resume).",
    "",
    `**The floor** under those posts on this machine, measured in the same run once the stack had stopped (\`bench/lib/post-floor.ts\`):`,
    `the same ${replayed + 1} posts of ${figures.frameBytes} bytes, each sent once the one before it is answered, from a worker thread to an HTTP`,
    "server on the main thread of its process (as the functions post to the gateway), which answers 200 and writes each to a WebSocket; no signing, routing,",
    `logging or DynamoDB; the client is in the measuring process, as the resumes' are. It takes **${millis(findings.floorMs)}** (median of ${figures.floorMs.length} rounds, each after 200 ms idle, as before each resume), so`,
    `a resume of ${replayed} messages cannot come under about that here whatever the functions do; the resume takes`,
    `${ratio(findings.resumeMs / findings.floorMs)} the floor, and its posts alone (\`subscribed\` → the last message) ${ratio(median(figures.resumes.map((r) => r.lastMs - r.subscribedMs)) / findings.floorMs)}. The floor plus the`,
    `median time to \`subscribed\` (the function's DynamoDB round trips, which no post may overtake) is ${millis(findings.floorMs + median(figures.resumes.map((r) => r.subscribedMs)))}.`,
    "",
    "Every delivery goes through the real path: the gateway invokes the function bundle (`sendmessage`,",
    "`publish`, `subscribe`), which reads dynalite and posts each frame to the gateway's `@connections` API over HTTP.",
  ].join("\n");
}

const started = performance.now();
const loadBefore = currentLoad();
const figures = await run();
console.log(`the post floor: ${figures.resumes.length} rounds of ${replayed + 1} posts of ${figures.frameBytes} bytes`);
figures.floorMs = await postFloor(figures.resumes.length, replayed + 1, figures.frameBytes);
const findings = loadFindings(figures);
console.log(JSON.stringify({ ...figures, roundTimes: figures.roundTimes, findings }, null, 2));
if (!values["no-write"]) {
  const command = `npm run load -- --connections ${connections} --users ${users} --broadcasts ${broadcasts} --rounds ${rounds} --burst ${burst} --resumes ${resumes}`;
  const body = `## Local gateway under load\n\n${provenance(command, (performance.now() - started) / 1000, loadBefore)}\n\n${section(figures, findings)}\n${findingsComment("load", findings)}`;
  await writeSection("load", body);
  await writeSection("goals", goalsSection(readFindings(await readBenchmarks())));
  console.log(body);
}
const failures = [figures.storm, figures.channelRounds, figures.broadcastRounds].filter((t) => !exactlyOnce(t)).length;
if (failures > 0 || !findings.resumesComplete) {
  console.error(`load: deliveries not exactly once in ${failures} part(s); resumes complete: ${findings.resumesComplete}`);
  process.exitCode = 1;
}
