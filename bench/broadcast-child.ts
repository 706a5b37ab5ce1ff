/**
 * One broadcast, in a process of its own started under `ulimit -n 1024` (Lambda's limit) by
 * bench/broadcast.ts: the real management API client posts one frame to N connections, the way
 * one variant does it, and the outcome goes to stdout as JSON.
 *
 * Variants: `ours` (functions/core/fan-out.ts with the management notifier: 50 in flight on 50
 * sockets), `sdk` (the same fan-out posting through the generated SDK client, its middleware
 * stack cached: the notifier before it was built from the SDK's parts), `sequential` (one post
 * after the other, a seed's approach; stops after a time budget and reports its rate),
 * `unbounded` (every post at once with `Promise.all` on an agent without a socket limit). Each
 * first broadcasts to 100 other connections, unmeasured, as a warm instance would have
 * (JIT-compiled code, open sockets).
 */
import { ApiGatewayManagementApiClient, GoneException, PostToConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import { Agent } from "node:http";
import { createManagementNotifier } from "../functions/adapters/management-notifier.js";
import { fanOut } from "../functions/core/fan-out.js";
import type { Notifier } from "../functions/core/ports.js";
import { defaults } from "../functions/settings/schema.js";
import { connectionIds } from "./lib/connection-ids.js";
import { reportOutcome } from "./lib/sender-process.js";

/** The ways of posting this process measures: its first argument. */
export type BroadcastVariant = "ours" | "sdk" | "sequential" | "unbounded";

export interface BroadcastOutcome {
  readonly variant: string;
  readonly recipients: number;
  /** Posts answered (delivered or gone) before the end or the budget. */
  readonly answered: number;
  readonly delivered: number;
  readonly gone: number;
  readonly failed: number;
  /** Failures by error name and code. */
  readonly errors: Record<string, number>;
  readonly elapsedMs: number;
  /** This process's CPU time (user + system) during the broadcast, per post answered or failed. */
  readonly cpuMicrosPerPost: number;
  /** The sequential variant stopped at its time budget. */
  readonly stoppedAtBudget: boolean;
  /** `ulimit -n` as the process saw it. */
  readonly fileLimit: string;
}

const [variant, countText, endpoint, budgetText, fileLimit] = process.argv.slice(2) as [BroadcastVariant, string, string, string, string];
const count = Number(countText);
const budgetMs = Number(budgetText);
const identity = { region: "us-east-1", credentials: { accessKeyId: "bench", secretAccessKey: "bench" } };
// One in ten is stale: the endpoint answers 410.
const ids = connectionIds(count);
/**
 * A warm instance: one unmeasured broadcast to 100 other connections first (JIT, sockets; 20,
 * one by one, for the sequential variant, which opens no more than one socket), unless BENCH_WARM=0.
 */
const warmup = process.env.BENCH_WARM === "0" ? [] : connectionIds(variant === "sequential" ? 20 : 100, { prefix: "w" });
const data = JSON.stringify({ from: "bench", text: "hello everyone" });
const errorName = (error: unknown) => {
  const { name, code } = (error ?? {}) as { name?: string; code?: string };
  return code && code !== name ? `${name ?? "Error"} ${code}` : (name ?? "Error");
};

function cpuPerPost(since: NodeJS.CpuUsage, posts: number): number {
  const { user, system } = process.cpuUsage(since);
  return (user + system) / Math.max(posts, 1);
}

async function* pages(list: readonly string[], size = 100): AsyncIterable<readonly string[]> {
  for (let i = 0; i < list.length; i += size) yield list.slice(i, i + size);
}

/** Posting through the generated client, its middleware stack resolved once (`cacheMiddleware`). */
function sdkNotifier(maxSockets: number): Notifier {
  const agent = new Agent({ keepAlive: true, maxSockets });
  const client = new ApiGatewayManagementApiClient({ ...identity, endpoint, cacheMiddleware: true, requestHandler: { httpAgent: agent } });
  const post = async (connectionId: string, data: string) => {
    try {
      await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
      return "delivered" as const;
    } catch (error) {
      if (error instanceof GoneException) return "gone" as const;
      throw error;
    }
  };
  // Only `send` is measured; the rest of the interface refuses.
  const notMeasured = () => Promise.reject(new Error("not measured"));
  return { send: post, close: notMeasured, exists: notMeasured };
}

async function run(): Promise<BroadcastOutcome> {
  const base = { variant, recipients: count, fileLimit, stoppedAtBudget: false };
  if (variant === "ours" || variant === "sdk") {
    // The functions' default `postConcurrency` (POST_CONCURRENCY), sockets as many.
    const concurrency = defaults.postConcurrency;
    const notifier = variant === "ours" ? createManagementNotifier({ endpoint, maxSockets: concurrency, ...identity }) : sdkNotifier(concurrency);
    // Gone connections are not ended here (no table): every variant only posts.
    const dependencies = { forget: async () => undefined, notifier, concurrency };
    await fanOut(pages(warmup), data, dependencies);
    const started = performance.now();
    const cpu = process.cpuUsage();
    const report = await fanOut(pages(ids), data, dependencies);
    const elapsedMs = performance.now() - started;
    const cpuMicrosPerPost = cpuPerPost(cpu, report.recipients);
    return { ...base, answered: report.delivered + report.gone, delivered: report.delivered, gone: report.gone, failed: report.failed, errors: report.errors, elapsedMs, cpuMicrosPerPost };
  }
  const client =
    variant === "unbounded"
      ? new ApiGatewayManagementApiClient({ ...identity, endpoint, requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: Infinity }) } })
      : new ApiGatewayManagementApiClient({ ...identity, endpoint });
  const tally = { delivered: 0, gone: 0, failed: 0, errors: {} as Record<string, number> };
  const post = async (connectionId: string) => {
    try {
      await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
      tally.delivered += 1;
    } catch (error) {
      if (error instanceof GoneException) tally.gone += 1;
      else {
        tally.failed += 1;
        const name = errorName(error);
        tally.errors[name] = (tally.errors[name] ?? 0) + 1;
      }
    }
  };
  if (variant === "sequential") for (const id of warmup) await post(id);
  else await Promise.all(warmup.map(post));
  Object.assign(tally, { delivered: 0, gone: 0, failed: 0, errors: {} });
  const started = performance.now();
  const cpu = process.cpuUsage();
  let stoppedAtBudget = false;
  if (variant === "sequential") {
    for (const id of ids) {
      if (performance.now() - started > budgetMs) {
        stoppedAtBudget = true;
        break;
      }
      await post(id);
    }
  } else if (variant === "unbounded") {
    await Promise.all(ids.map(post));
  } else {
    throw new Error(`unknown variant ${variant}`);
  }
  const elapsedMs = performance.now() - started;
  const cpuMicrosPerPost = cpuPerPost(cpu, tally.delivered + tally.gone + tally.failed);
  return { ...base, answered: tally.delivered + tally.gone, ...tally, elapsedMs, cpuMicrosPerPost, stoppedAtBudget };
}

reportOutcome(run());
