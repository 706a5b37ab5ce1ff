/**
 * Section "channel": the broadcast's fan-out model for a channel. One message published on a
 * channel of N = 1,000 / 5,000 subscribers, against the same `@connections` endpoint (20 ms per
 * post, one id in ten stale: 410), by the messaging system the functions build, its subscriptions
 * real items in dynalite (so the Query by channel and its paging are measured), each publish in a
 * fresh process under `ulimit -n 1024`. Side by side with the broadcast (`fanOut` over a list of
 * ids), interleaved.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchWriteCommand, DynamoDBDocumentClient, type BatchWriteCommandOutput } from "@aws-sdk/lib-dynamodb";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { channelAttributes, connectionAttributes } from "../functions/core/ports.js";
import { defaults } from "../functions/settings/schema.js";
import { startDynalite } from "../local/dynamodb.js";
import { ensureTables, localTableNames } from "../local/tables.js";
import type { BroadcastOutcome } from "./broadcast-child.js";
import type { ChannelOutcome, ResumeOutcome } from "./channel-child.js";
import { bundleChild } from "./lib/bundle.js";
import { Comparison } from "./lib/comparison.js";
import { connectionIds, isStale } from "./lib/connection-ids.js";
import { startManagementEndpoint } from "./lib/management-endpoint.js";
import { runSender } from "./lib/sender-process.js";
import { median, millis, ratio, seconds } from "./lib/stats.js";

export const channelFanOutDefaults = {
  counts: [1000, 5000],
  rounds: 3,
  delayMs: 20,
  fileLimit: 1024,
  /** Lambda ends an invocation after `lambdaTimeoutSeconds`. */
  timeoutMs: defaults.lambdaTimeoutSeconds * 1000,
} as const;

const fanOuts = new Comparison({
  broadcast: "broadcast: `fanOut` over a list of ids, one in ten gone, nothing removed (the broadcast section's **ours**)",
  live: "**channel** publish, every subscriber live",
  stale: "**channel** publish, one subscriber in ten gone (as the broadcast), their clean-up and `leave`s handed to the deliver workers",
  shared: "**channel** publish, one in ten gone, each of their users still subscribed from another connection (no `leave` to tell)",
});
type Variant = (typeof fanOuts.variants)[number];

type Outcome = (BroadcastOutcome & { kind: "broadcast" }) | (ChannelOutcome & { kind: "channel" });

export interface ChannelFanOutResult {
  readonly options: typeof channelFanOutDefaults;
  readonly outcomes: Record<number, Record<Variant, Outcome[]>>;
  readonly resumes: ResumeOutcome[];
}

/**
 * A user per connection (a channel's subscribers are mostly distinct users), with a Cognito-shaped
 * sub drawn from the id: the Query returns a channel's subscribers by sub, so the gone ones come
 * anywhere in it, as they would.
 */
function userOf(connectionId: string): string {
  const hex = createHash("sha256").update(connectionId).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Stores a subscription per id (and a connection record, older than the handshake grace, for each
 * stale one). With `sharedUsers`, each stale connection belongs to the user of the next, live one.
 */
async function seed(documents: DynamoDBDocumentClient, channel: string, ids: readonly string[], { sharedUsers = false } = {}): Promise<void> {
  const ttl = Math.floor(Date.now() / 1000) + 3 * 3600;
  const owner = new Map(ids.map((connectionId, i) => [connectionId, userOf(sharedUsers && isStale(connectionId) && ids[i + 1] ? ids[i + 1]! : connectionId)]));
  const userOfId = (connectionId: string) => owner.get(connectionId)!;
  const subscriptions = ids.map((connectionId) => ({
    PutRequest: {
      Item: {
        [channelAttributes.channel]: channel,
        [channelAttributes.member]: `${userOfId(connectionId)}#${connectionId}`,
        [channelAttributes.connectionId]: connectionId,
        userId: userOfId(connectionId),
        username: userOfId(connectionId),
        [channelAttributes.ttl]: ttl,
      },
    },
  }));
  const records = ids.filter(isStale).map((connectionId) => ({
    PutRequest: {
      Item: {
        [connectionAttributes.partitionKey]: connectionId,
        [connectionAttributes.userId]: userOfId(connectionId),
        username: userOfId(connectionId),
        connectedAt: Date.now() - 3600_000,
        [connectionAttributes.tokenExpiresAt]: ttl,
        [connectionAttributes.ttl]: ttl,
      },
    },
  }));
  const batches: [string, typeof subscriptions | typeof records][] = [
    [localTableNames.subscriptionsTableName, subscriptions],
    [localTableNames.connectionsTableName, records],
  ];
  for (const [table, requests] of batches) {
    for (let start = 0; start < requests.length; start += 25) {
      let unprocessed: unknown[] | undefined = requests.slice(start, start + 25);
      while (unprocessed && unprocessed.length > 0) {
        const answer: BatchWriteCommandOutput = await documents.send(new BatchWriteCommand({ RequestItems: { [table]: unprocessed as never } }));
        unprocessed = answer.UnprocessedItems?.[table];
      }
    }
  }
}

export async function runChannelFanOut(scratch: string, options = channelFanOutDefaults): Promise<ChannelFanOutResult> {
  const broadcastChild = join(scratch, "broadcast-child.mjs");
  const channelChild = join(scratch, "channel-child.mjs");
  await bundleChild("bench/broadcast-child.ts", broadcastChild);
  await bundleChild("bench/channel-child.ts", channelChild);
  // dynalite and the endpoint run in this process, outside the senders' descriptor limit.
  const dynalite = await startDynalite({ host: "127.0.0.1", port: 0 });
  const client = new DynamoDBClient({ endpoint: dynalite.endpoint, region: "us-east-1", credentials: { accessKeyId: "bench", secretAccessKey: "bench" } });
  const documents = DynamoDBDocumentClient.from(client);
  const endpoint = await startManagementEndpoint(options.delayMs);
  const outcomes: ChannelFanOutResult["outcomes"] = {};
  const resumes: ResumeOutcome[] = [];
  try {
    await ensureTables(client, localTableNames);
    const warmChannel = "bench/warm";
    await seed(documents, warmChannel, connectionIds(100, { prefix: "w", staleEvery: 0 }));
    for (const count of options.counts) {
      const live = `bench/live-${count}`;
      await seed(documents, live, connectionIds(count, { staleEvery: 0 }));
      outcomes[count] = await fanOuts.interleave(options.rounds, async (variant, round) => {
        let outcome: Outcome;
        if (variant === "broadcast") {
          endpoint.reset();
          outcome = { kind: "broadcast", ...(await runSender<BroadcastOutcome>(broadcastChild, ["ours", String(count), endpoint.url, "0"], options.fileLimit)) };
        } else {
          // A 410 removes the connection's subscriptions on every channel: each publish with gone
          // subscribers gets a channel and connection ids of its own.
          const channel = variant === "live" ? live : `bench/${variant}-${count}-${round}`;
          if (channel !== live) await seed(documents, channel, connectionIds(count, { prefix: `${variant}${round}` }), { sharedUsers: variant === "shared" });
          endpoint.reset();
          const args = ["publish", channel, endpoint.url, dynalite.endpoint, warmChannel, String(options.timeoutMs)];
          outcome = { kind: "channel", ...(await runSender<ChannelOutcome>(channelChild, args, options.fileLimit)) };
        }
        console.log(`  N=${count} ${variant}: ${summary(outcome)}`);
        // Let the endpoint close the sender's sockets before the next run counts its own.
        await new Promise((resolveWait) => setTimeout(resolveWait, 200));
        return outcome;
      });
    }
    for (let round = 0; round < options.rounds; round += 1) {
      const args = ["resume", `public/resume-${round}`, endpoint.url, dynalite.endpoint, warmChannel, String(options.timeoutMs)];
      const outcome = await runSender<ResumeOutcome>(channelChild, args, options.fileLimit);
      resumes.push(outcome);
      console.log(`  resume: ${outcome.replayed} replayed (resumed: ${outcome.resumed}) in ${millis(outcome.elapsedMs, 0)}`);
    }
  } finally {
    await endpoint.close();
    client.destroy();
    await dynalite.close();
  }
  return { options, outcomes, resumes };
}

const summary = (outcome: Outcome) =>
  outcome.kind === "broadcast"
    ? `${millis(outcome.elapsedMs, 0)}, ${outcome.delivered} + ${outcome.gone} gone, ${outcome.failed} failed`
    : `${outcome.timedOut ? "timed out at " : ""}${millis(outcome.elapsedMs, 0)}, posts ${JSON.stringify(outcome.posts)}, ${outcome.gone} gone, ${outcome.report?.failed ?? "?"} failed, query ${outcome.queryPages} pages ${millis(outcome.queryMs, 0)}, first post at ${millis(outcome.firstPostMs, 0)}`;

/** Connections of a run that are not gone: those a message must reach. */
const liveSubscribers = (count: number, variant: Variant) => (variant === "live" ? count : count - Math.ceil(count / 10));

/** Failed posts, and for a publish cut off by the timeout, every live subscriber it had not reached. */
const failuresOf = (outcome: Outcome, live: number) =>
  outcome.kind === "broadcast" ? outcome.failed : outcome.timedOut ? live - outcome.messagesDelivered : outcome.report!.failed;

function cell(outcomes: readonly Outcome[], live: number, timeoutMs: number): string {
  const time = median(outcomes.map((o) => o.elapsedMs));
  const cpu = median(outcomes.map((o) => o.cpuMicrosPerPost));
  if (outcomes[0]!.kind === "broadcast") {
    const broadcasts = outcomes as (BroadcastOutcome & { kind: "broadcast" })[];
    return `${seconds(time)} · ${median(broadcasts.map((o) => o.delivered))} + ${median(broadcasts.map((o) => o.gone))} gone · ${Math.round(cpu)} µs CPU/post`;
  }
  const channels = outcomes as (ChannelOutcome & { kind: "channel" })[];
  const timedOut = channels.filter((o) => o.timedOut).length;
  const posts = (kind: "message" | "leave") => median(channels.map((o) => o.posts[kind]));
  const pages = median(channels.map((o) => o.queryPages));
  const query = `Query ${pages} page${pages === 1 ? "" : "s"} in ${millis(median(channels.map((o) => o.queryMs)), 0)}`;
  if (timedOut > 0) {
    const reached = median(channels.map((o) => o.messagesDelivered));
    return `**timed out** at ${seconds(timeoutMs)} (${timedOut} of ${channels.length}) · **${reached} of ${live}** live subscribers reached, ${posts("leave")} \`leave\` posts by then · ${query} · ${Math.round(cpu)} µs CPU/post`;
  }
  const failed = median(channels.map((o) => failuresOf(o, live)));
  const delivered = median(channels.map((o) => o.report!.delivered));
  const gone = median(channels.map((o) => o.report!.gone));
  const leaves = posts("leave");
  return `${seconds(time)} · ${failed > 0 ? `**${failed} failed** · ` : ""}${delivered} + ${gone} gone${leaves > 0 ? ` · ${leaves} \`leave\` posts` : ""} · ${query} · ${Math.round(cpu)} µs CPU/post`;
}

export interface ChannelFanOutFindings {
  readonly rounds: number;
  readonly timeoutMs: number;
  /** The channel publish with one subscriber in ten gone, as the broadcast is measured. */
  readonly channelAt1000Ms: number;
  readonly channelTimedOutAt1000: number;
  readonly channelFailuresAt5000: number;
  readonly channelTimedOutAt5000: number;
  /** Every subscriber live. */
  readonly liveAt1000Ms: number;
  readonly liveFailuresAt5000: number;
  readonly broadcastAt1000Ms: number;
  /** Every subscriber live, over the broadcast in the same run. */
  readonly liveOverBroadcastAt1000: number;
  readonly liveOverBroadcastAt5000: number;
  /** `subscribe` with `since` replaying 100 messages, at the endpoint's latency per post. */
  readonly resumeMs: number;
}

export function channelFanOutFindings(result: ChannelFanOutResult): ChannelFanOutFindings {
  const at = (count: number, variant: Variant) => result.outcomes[count]?.[variant] ?? [];
  const timedOut = (count: number, variant: Variant) => at(count, variant).filter((o) => o.kind === "channel" && o.timedOut).length;
  const time = (count: number, variant: Variant) => median(at(count, variant).map((o) => o.elapsedMs));
  const failures = (count: number, variant: Variant) =>
    at(count, variant).length === 0 ? Number.NaN : Math.max(...at(count, variant).map((o) => failuresOf(o, liveSubscribers(count, variant))));
  return {
    rounds: result.options.rounds,
    timeoutMs: result.options.timeoutMs,
    channelAt1000Ms: time(1000, "stale"),
    channelTimedOutAt1000: timedOut(1000, "stale"),
    channelFailuresAt5000: failures(5000, "stale"),
    channelTimedOutAt5000: timedOut(5000, "stale"),
    liveAt1000Ms: time(1000, "live"),
    liveFailuresAt5000: failures(5000, "live"),
    broadcastAt1000Ms: time(1000, "broadcast"),
    liveOverBroadcastAt1000: time(1000, "live") / time(1000, "broadcast"),
    liveOverBroadcastAt5000: time(5000, "live") / time(5000, "broadcast"),
    resumeMs: median(result.resumes.map((o) => o.elapsedMs)),
  };
}

export function channelFanOutSection(result: ChannelFanOutResult): string {
  const { options } = result;
  const findings = channelFanOutFindings(result);
  const channelRuns = (count: number, variant: Variant) => (result.outcomes[count]?.[variant] ?? []) as (ChannelOutcome & { kind: "channel" })[];
  const firstPost = (count: number) => millis(median(channelRuns(count, "live").map((o) => o.firstPostMs)), 0);
  const stale = channelRuns(1000, "stale");
  const reached = median(stale.map((o) => o.messagesDelivered));
  const leaves = median(stale.map((o) => o.posts.leave));
  const gone = median(stale.map((o) => o.gone));
  const cleanUp = median(channelRuns(1000, "shared").map((o) => o.elapsedMs)) / median(channelRuns(1000, "live").map((o) => o.elapsedMs));
  return [
    `One message published on a channel of N subscribers, against the broadcast's local \`@connections\` endpoint (${options.delayMs} ms per`,
    "post, 410 `GoneException` for one id in ten), by the messaging system the functions build (`publishFromServer`: the",
    "channel's next seq, its retained copy, the Query by channel page by page, `fanOut` with 50 posts in flight, and for",
    "the 410s what the functions do: the gone connections handed to the deliver workers (one `forget` task, queued and not",
    "run here: their records, subscriptions and `leave`s are the workers' work). Subscriptions are real items in dynalite",
    "(one user per connection); dynalite and the endpoint run in the benchmark's process. Every publish runs in a fresh",
    `process under \`ulimit -n ${options.fileLimit}\`, after an unmeasured publish to 100 other subscribers; ${options.rounds} rounds, variants`,
    `interleaved, medians. A publish still running after ${options.timeoutMs / 1000} s (\`lambdaTimeoutSeconds\`) is cut off there, as Lambda`,
    "would. Each cell: time · outcome of the `message` posts (delivered + gone, or failures; when cut off, the live",
    "subscribers reached by then) · the Query's pages and the time spent waiting for them · the sender's CPU time per post.",
    "",
    fanOuts.table(options.counts, (variant, count) => cell(result.outcomes[count]![variant], liveSubscribers(count, variant), options.timeoutMs)),
    "",
    `Channel, one subscriber in ten gone: ${findings.channelTimedOutAt1000 > 0 ? `**timed out** at ${seconds(options.timeoutMs)}` : `**${seconds(findings.channelAt1000Ms)}**`} for 1,000 subscribers (goal ≤ 0.6 s), ` +
      `**${findings.channelFailuresAt5000}** live subscribers not reached at 5,000 (goal: none)${findings.channelTimedOutAt5000 > 0 ? ", cut off by the timeout" : ""}.`,
    `Every subscriber live: **${seconds(findings.liveAt1000Ms)}** at 1,000, ${findings.liveFailuresAt5000} not reached at 5,000; ${ratio(findings.liveOverBroadcastAt1000)} and`,
    `${ratio(findings.liveOverBroadcastAt5000)} the broadcast's time in the same run (${seconds(findings.broadcastAt1000Ms)} at 1,000).`,
    "",
    "Where the time goes. Every subscriber live, the publish posts as the broadcast does once it has taken its seq,",
    `stored its retained copy and read the first page of the Query: its first post goes out after ${firstPost(1000)} at 1,000 and`,
    `${firstPost(5000)} at 5,000: the functions' store reads the channel in pages of up to 1 MB (its \`pageSize\` is unset), about`,
    "5,000 subscriptions, so no post starts before all of a channel this size is read. With gone subscribers, the",
    "message goes to every subscriber first; the connections found gone are then handed to the workers in one task, where",
    "their records and subscriptions are removed and, for a departed user's last connection on the channel, a `leave`",
    "fans out to every remaining subscriber: N × (gone users) posts in all, 90,000 for 100 departures in a channel of",
    `1,000, none of them in the publish's invocation. The 410s alone cost the publish ${ratio(cleanUp)} the live time at 1,000 (last row).`,
    findings.channelTimedOutAt1000 > 0
      ? `By the timeout the publish had reached **${reached} of ${liveSubscribers(1000, "stale")}** live subscribers with the message and posted ${leaves} \`leave\` frames.`
      : `At 1,000 the publish saw ${gone} 410s, handed ${median(stale.map((o) => o.handedOver))} task to the workers and posted ${leaves} \`leave\` frames itself.`,
    "",
    `**Resume** in the same model: \`subscribe\` with \`since\` on a channel of ${result.resumes[0]?.replayed ?? "–"} retained messages, its replies (\`subscribed\`,`,
    `then each message) posted one after the other as the \`subscribe\` function sends them: **${seconds(findings.resumeMs)}**`,
    `(median of ${result.resumes.length}; every one \`resumed: true\`: ${result.resumes.every((o) => o.resumed) ? "yes" : "**no**"}).`,
  ].join("\n");
}
