/**
 * One channel publish, in a process of its own started under `ulimit -n 1024` (Lambda's limit) by
 * bench/channel-fanout.ts: the messaging system the functions build (functions/wiring.ts: the
 * DynamoDB stores on dynalite, the management notifier) publishes one message from the server
 * (`publishFromServer`: next seq, retained copy, Query by channel page by page, `fanOut`, and for
 * each 410 the clean-up the functions do: the connection's record and subscriptions removed and
 * `leave` told to the channel). The outcome goes to stdout as JSON.
 *
 * It first publishes once on a channel of 100 other subscribers, unmeasured: a warm instance.
 * A publish still running after `lambdaTimeoutSeconds` is reported as timed out, as Lambda would
 * end it there.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createManagementNotifier } from "../functions/adapters/management-notifier.js";
import { publishFromServer, type ChannelDependencies } from "../functions/core/channels.js";
import type { FanOutReport } from "../functions/core/fan-out.js";
import { defaults } from "../functions/settings/schema.js";
import { createMessaging } from "../functions/wiring.js";
import { localTableNames } from "../local/tables.js";

export interface ChannelOutcome {
  readonly channel: string;
  /** The publish's own fan-out (the `message` frames); undefined when it timed out. */
  readonly report?: FanOutReport;
  /** Posts to `@connections`, by the frame's type. */
  readonly posts: { message: number; leave: number; other: number };
  /** Posts answered 410 (all frames). */
  readonly gone: number;
  readonly elapsedMs: number;
  readonly timedOut: boolean;
  /** Query-by-channel pages of the publish, and the time spent waiting for them. */
  readonly queryPages: number;
  readonly queryMs: number;
  /** This process's CPU time (user + system) per post, all posts counted. */
  readonly cpuMicrosPerPost: number;
  readonly fileLimit: string;
}

const [channel, endpoint, dynamoDbEndpoint, warmChannel, timeoutText, fileLimit] = process.argv.slice(2) as [string, string, string, string, string, string];
const identity = { region: "us-east-1", credentials: { accessKeyId: "bench", secretAccessKey: "bench" } };
const data = JSON.stringify({ from: "bench", text: "hello everyone" });

const posts = { message: 0, leave: 0, other: 0 };
let gone = 0;
const notifier = createManagementNotifier({ endpoint, maxSockets: defaults.postConcurrency, ...identity });
const counted = {
  ...notifier,
  async send(connectionId: string, frame: string) {
    const kind = frame.startsWith('{"type":"message"') ? "message" : frame.startsWith('{"type":"leave"') ? "leave" : "other";
    posts[kind] += 1;
    const delivery = await notifier.send(connectionId, frame);
    if (delivery === "gone") gone += 1;
    return delivery;
  },
};
const { channelDependencies } = createMessaging({
  dynamodb: new DynamoDBClient({ endpoint: dynamoDbEndpoint, ...identity }),
  notifier: counted,
  tables: localTableNames,
  policy: { rules: [], historySeconds: defaults.channelHistorySeconds, replayLimit: defaults.channelReplayLimit, maxSubscriptionsPerConnection: defaults.maxSubscriptionsPerConnection },
  concurrency: defaults.postConcurrency,
});

/** The publish's Query by channel, timed page by page (the wait for each page only, not the posting). */
const query = { pages: 0, ms: 0 };
const timedChannels: ChannelDependencies = {
  ...channelDependencies,
  channels: {
    ...channelDependencies.channels,
    async *subscriberIds(name, nowSeconds) {
      const pages = channelDependencies.channels.subscriberIds(name, nowSeconds)[Symbol.asyncIterator]();
      for (;;) {
        const asked = performance.now();
        const next = await pages.next();
        query.ms += performance.now() - asked;
        if (next.done) return;
        query.pages += 1;
        yield next.value;
      }
    },
  },
};

async function run(): Promise<ChannelOutcome> {
  await publishFromServer(warmChannel, data, channelDependencies);
  Object.assign(posts, { message: 0, leave: 0, other: 0 });
  gone = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  const timeout = new Promise<undefined>((resolve) => setTimeout(resolve, Number(timeoutText), undefined).unref());
  const published = await Promise.race([publishFromServer(channel, data, timedChannels), timeout]);
  const elapsedMs = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  const total = posts.message + posts.leave + posts.other;
  return {
    channel,
    ...(published ? { report: published.report } : {}),
    posts: { ...posts },
    gone,
    elapsedMs,
    timedOut: published === undefined,
    queryPages: query.pages,
    queryMs: query.ms,
    cpuMicrosPerPost: (user + system) / Math.max(total, 1),
    fileLimit,
  };
}

run().then(
  (outcome) => {
    process.stdout.write(`${JSON.stringify(outcome)}\n`);
    process.exit(0);
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
