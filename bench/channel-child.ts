/**
 * One channel publish, in a process of its own started under `ulimit -n 1024` (Lambda's limit) by
 * bench/channel-fanout.ts: the messaging system the functions build (functions/wiring.ts: the
 * DynamoDB stores on dynalite, the management notifier) publishes one message from the server
 * (`publishFromServer`: next seq, retained copy, Query by channel page by page, `fanOut`, and for
 * each 410 the clean-up the functions do: the connection's record and subscriptions removed, and
 * the `leave` to the channel handed to the deliver workers, which are not run here: `handedOver`
 * counts those tasks). The publish is delivered by this process, as one invocation delivers a fan-out
 * of at most `fanOutShardSize` recipients. The outcome goes to stdout as JSON.
 *
 * It first publishes once on a channel of 100 other subscribers, unmeasured: a warm instance.
 * A publish still running after `lambdaTimeoutSeconds` is reported as timed out, as Lambda would
 * end it there.
 *
 * Mode `resume` instead publishes 100 messages on a channel nobody holds, then times `subscribe`
 * with `since: 0` for a new connection: its replies (`subscribed`, then each replayed message)
 * posted one after the other, as the `subscribe` function sends them.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createManagementNotifier } from "../functions/adapters/management-notifier.js";
import { parseSubscribe } from "../functions/core/channel-frames.js";
import { publishFromServer, subscribe, type ChannelDependencies, type Sender } from "../functions/core/channels.js";
import type { FanOutReport } from "../functions/core/fan-out.js";
import type { DeliveryTask } from "../functions/core/ports.js";
import { defaults } from "../functions/settings/schema.js";
import { createMessaging } from "../functions/wiring.js";
import { localTableNames } from "../local/tables.js";
import { reportOutcome } from "./lib/sender-process.js";

export interface ChannelOutcome {
  /** The publish's own fan-out (the `message` frames); undefined when it timed out. */
  readonly report?: FanOutReport;
  /** Posts to `@connections`, by the frame's type. */
  readonly posts: { message: number; leave: number; other: number };
  /** `message` posts answered 200 (delivered), by the end or the timeout. */
  readonly messagesDelivered: number;
  /** Posts answered 410 (all frames). */
  readonly gone: number;
  /** Fan-outs handed to the deliver workers (the departures' `leave`s). */
  readonly handedOver: number;
  readonly elapsedMs: number;
  /** From the publish's start to its first `message` post: the seq, the retained copy, the first Query page. */
  readonly firstPostMs: number;
  readonly timedOut: boolean;
  /** Query-by-channel pages of the publish, and the time spent waiting for them. */
  readonly queryPages: number;
  readonly queryMs: number;
  /** This process's CPU time (user + system) per post, all posts counted. */
  readonly cpuMicrosPerPost: number;
  readonly fileLimit: string;
}

export interface ResumeOutcome {
  /** Messages replayed. */
  readonly replayed: number;
  readonly resumed: boolean;
  /** `subscribe` called → its last reply answered. */
  readonly elapsedMs: number;
}

const [mode, channel, endpoint, dynamoDbEndpoint, warmChannel, timeoutText, fileLimit] = process.argv.slice(2) as [
  "publish" | "resume",
  string,
  string,
  string,
  string,
  string,
  string,
];
/** Messages a resume replays. */
const replayed = 100;
const identity = { region: "us-east-1", credentials: { accessKeyId: "bench", secretAccessKey: "bench" } };
const data = JSON.stringify({ from: "bench", text: "hello everyone" });

const posts = { message: 0, leave: 0, other: 0 };
let gone = 0;
let messagesDelivered = 0;
let firstPostAt = Number.NaN;
const notifier = createManagementNotifier({ endpoint, maxSockets: defaults.postConcurrency, ...identity });
const counted = {
  ...notifier,
  async send(connectionId: string, frame: string) {
    const kind = frame.startsWith('{"type":"message"') ? "message" : frame.startsWith('{"type":"leave"') ? "leave" : "other";
    posts[kind] += 1;
    if (kind === "message" && Number.isNaN(firstPostAt)) firstPostAt = performance.now();
    const delivery = await notifier.send(connectionId, frame);
    if (delivery === "gone") gone += 1;
    else if (kind === "message") messagesDelivered += 1;
    return delivery;
  },
};
const handedOver: DeliveryTask[] = [];
const { channelDependencies } = createMessaging({
  dynamodb: new DynamoDBClient({ endpoint: dynamoDbEndpoint, ...identity }),
  notifier: counted,
  tables: localTableNames,
  policy: { rules: defaults.channelRules, historySeconds: defaults.channelHistorySeconds, replayLimit: defaults.channelReplayLimit, maxSubscriptionsPerConnection: defaults.maxSubscriptionsPerConnection },
  concurrency: defaults.postConcurrency,
  // The publish itself is this process's to deliver, whatever the channel's size (the workers'
  // figures are the fan-out section's): its tasks are refused, which makes it deliver them here.
  shardSize: 10_000,
  workers: {
    queue: {
      maxTaskBytes: 256 * 1024,
      async enqueue(task) {
        if (task.kind !== "forget" && task.job.frame.startsWith('{"type":"message"')) throw new Error("delivered by the publishing process in this benchmark");
        handedOver.push(task);
      },
    },
    ledger: undefined as never,
    pace: async () => true,
    postRateLimit: defaults.postRateLimit,
  },
});

/** The publish's Query by channel, timed page by page (the wait for each page only, not the posting). */
const query = { pages: 0, ms: 0 };
const { delivery } = channelDependencies;
const timedChannels: ChannelDependencies = {
  ...channelDependencies,
  delivery: {
    ...delivery,
    recipients: {
      async page(...args) {
        const asked = performance.now();
        const page = await delivery.recipients.page(...args);
        query.ms += performance.now() - asked;
        query.pages += 1;
        return page;
      },
    },
  },
};

async function resume(): Promise<ResumeOutcome> {
  await publishFromServer(warmChannel, data, channelDependencies);
  for (let i = 0; i < replayed; i += 1) await publishFromServer(channel, data, channelDependencies);
  const connectionId = Buffer.from(`cresume${Date.now()}`).toString("base64");
  const sender: Sender = { connectionId, userId: "resumer", username: "resumer", groups: async () => [], ttl: Math.floor(Date.now() / 1000) + 3600 };
  let resumed = false;
  Object.assign(posts, { message: 0, leave: 0, other: 0 });
  const reply = async (frame: string) => {
    if (frame.startsWith('{"type":"subscribed"')) resumed = (JSON.parse(frame) as { resumed?: boolean }).resumed === true;
    await counted.send(connectionId, frame);
  };
  const started = performance.now();
  await subscribe(parseSubscribe(JSON.stringify({ action: "subscribe", channel, since: 0 })), sender, reply, channelDependencies);
  return { replayed: posts.message, resumed, elapsedMs: performance.now() - started };
}

async function run(): Promise<ChannelOutcome> {
  await publishFromServer(warmChannel, data, channelDependencies);
  Object.assign(posts, { message: 0, leave: 0, other: 0 });
  gone = 0;
  handedOver.length = 0;
  messagesDelivered = 0;
  firstPostAt = Number.NaN;
  const started = performance.now();
  const cpu = process.cpuUsage();
  const timeout = new Promise<undefined>((resolve) => setTimeout(resolve, Number(timeoutText), undefined).unref());
  const published = await Promise.race([publishFromServer(channel, data, timedChannels), timeout]);
  const elapsedMs = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  const total = posts.message + posts.leave + posts.other;
  return {
    ...(published && "report" in published.delivery ? { report: published.delivery.report } : {}),
    posts: { ...posts },
    messagesDelivered,
    gone,
    handedOver: handedOver.length,
    elapsedMs,
    firstPostMs: firstPostAt - started,
    timedOut: published === undefined,
    queryPages: query.pages,
    queryMs: query.ms,
    cpuMicrosPerPost: (user + system) / Math.max(total, 1),
    fileLimit,
  };
}

reportOutcome(mode === "resume" ? resume() : run());
