/**
 * `npm run bench -- fanout`: a fan-out to 1,000, 10,000 and 100,000 connections through the
 * `deliver` workers, beside today's single-invocation fan-out. The connection records are real
 * items in dynalite (its own process); the `@connections` endpoint takes 20 ms per post and answers
 * 429 above 10,000 requests/s (the account's default quota); no sockets are needed. This process
 * plays Lambda: it hands each task to an idle instance (a process of its own, one task at a time,
 * a new one when all are busy), ends an instance at the function's timeout and tries its task
 * again (twice at most), and holds every instance to the CPU share of a 256 MB function by
 * stopping and continuing it in turn (SIGSTOP/SIGCONT). Measured: time from the accepting route's
 * call to the fan-out's summary, against the floor of N ÷ `postRateLimit`; recipients never
 * reached (lost) and reached twice (duplicated), counted at the endpoint; the instances' peak memory.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchWriteCommand, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { fork, spawn, type ChildProcess } from "node:child_process";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import pMap from "p-map";
import { defaults } from "../functions/settings/schema.js";
import { ensureTables, localTableNames } from "../local/tables.js";
import type { WorkerMessage, WorkerRequest } from "./fanout-worker.js";
import { bundleChild } from "./lib/bundle.js";
import { connectionIds } from "./lib/connection-ids.js";
import { startManagementEndpoint, type ManagementEndpoint } from "./lib/management-endpoint.js";
import { seconds, table } from "./lib/stats.js";

export const fanOutBenchDefaults = {
  counts: [1_000, 10_000, 100_000],
  delayMs: 20,
  quotaPerSecond: 10_000,
  postRateLimit: defaults.postRateLimit,
  timeoutMs: defaults.lambdaTimeoutSeconds * 1000,
  /** Lambda gives a function CPU in proportion to its memory: a full vCPU at 1,769 MB. */
  cpuShare: 256 / 1769,
  /** Instances at most, as a function's reserved concurrency would. */
  maxInstances: 50,
  /**
   * Instances started before the clock, as a function in use has: here their start-up would take the
   * CPU the running ones need, where Lambda starts an instance on a machine of its own.
   */
  warmInstances: 40,
  /** Lambda tries a failed asynchronous invocation twice more; it waits a minute, this a second. */
  attempts: 3,
  retryDelayMs: 1000,
} as const;

type Options = typeof fanOutBenchDefaults;

export interface WorkersOutcome {
  readonly elapsedMs: number;
  readonly floorMs: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly throttled: number;
  readonly instances: number;
  readonly retries: number;
  readonly peakRssBytes: number;
  readonly summary?: unknown;
}

export interface SingleOutcome {
  readonly elapsedMs: number;
  readonly timedOut: boolean;
  readonly reached: number;
  readonly peakRssBytes: number;
}

export interface FanOutBenchResult {
  readonly options: Options;
  readonly outcomes: Record<number, { workers: WorkersOutcome; single: SingleOutcome }>;
}

export async function runFanOutBench(scratch: string, options: Options = fanOutBenchDefaults, log = (line: string) => console.log(line)): Promise<FanOutBenchResult> {
  const worker = join(scratch, "fanout-worker.mjs");
  await bundleChild("bench/fanout-worker.ts", worker);
  const endpoint = await startManagementEndpoint(options.delayMs, "bench", { quotaPerSecond: options.quotaPerSecond, countDeliveries: true });
  const outcomes: FanOutBenchResult["outcomes"] = {};
  try {
    for (const count of options.counts) {
      const dynamo = await startDynaliteProcess();
      try {
        const ids = connectionIds(count, { prefix: "f", staleEvery: 0 });
        log(`  ${count} connections: writing their records…`);
        await writeRecords(dynamo.endpoint, ids);
        endpoint.reset();
        log(`  ${count} connections: the deliver workers…`);
        const workers = await runWorkers(worker, endpoint, dynamo.endpoint, count, options, log);
        log(`    ${seconds(workers.elapsedMs)} (floor ${seconds(workers.floorMs)}), lost ${workers.lost}, duplicated ${workers.duplicated}, ${workers.instances} instances`);
        endpoint.reset();
        log(`  ${count} connections: one invocation…`);
        const single = await runSingle(worker, endpoint, dynamo.endpoint, count, options);
        outcomes[count] = { workers, single };
      } finally {
        await dynamo.close();
      }
    }
  } finally {
    await endpoint.close();
  }
  return { options, outcomes };
}

/** dynalite in a process of its own, as DynamoDB is a service of its own: the endpoint and the dispatcher keep this one. */
async function startDynaliteProcess(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const script = `import dynalite from "dynalite"; const server = dynalite({ createTableMs: 0 }); server.listen(0, "127.0.0.1", () => console.log(server.address().port));`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: resolve("."), stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<string>((done) => createInterface({ input: child.stdout! }).once("line", done));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "bench", secretAccessKey: "bench" } });
  await ensureTables(client, localTableNames);
  client.destroy();
  return { endpoint, close: async () => void child.kill() };
}

async function writeRecords(endpoint: string, ids: readonly string[]): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "bench", secretAccessKey: "bench" } });
  const documents = DynamoDBDocumentClient.from(client);
  const batches = Array.from({ length: Math.ceil(ids.length / 25) }, (_, i) => ids.slice(i * 25, i * 25 + 25));
  const ttl = Math.floor(Date.now() / 1000) + 7200;
  await pMap(
    batches,
    async (batch) => {
      let items = batch.map((connectionId) => ({ PutRequest: { Item: { connectionId, userId: `u-${connectionId}`, username: "bench", connectedAt: 0, tokenExpiresAt: ttl, groups: [], ttl } } }));
      while (items.length > 0) {
        const { UnprocessedItems } = await documents.send(new BatchWriteCommand({ RequestItems: { [localTableNames.connectionsTableName]: items } }));
        items = (UnprocessedItems?.[localTableNames.connectionsTableName] ?? []) as typeof items;
      }
    },
    { concurrency: 8 },
  );
  client.destroy();
}

/** Lambda, played small: instances of one task at a time, spawned when all are busy, ended at the timeout, their tasks tried again. */
async function runWorkers(worker: string, endpoint: ManagementEndpoint, dynamoDbEndpoint: string, count: number, options: Options, log: (line: string) => void): Promise<WorkersOutcome> {
  type Task = WorkerRequest["task"];
  const waiting: { task: Task; attempt: number }[] = [];
  const idle: ChildProcess[] = [];
  const all = new Set<ChildProcess>();
  const cpu = new DutyCycle(options.cpuShare);
  let peakRssBytes = 0;
  let retries = 0;
  let running = 0;
  let summary: unknown;
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));

  const spawnInstance = async () => {
    const child = fork(worker, ["instance", endpoint.url, dynamoDbEndpoint, String(options.postRateLimit), String(options.timeoutMs)], { stdio: ["ignore", "ignore", "inherit", "ipc"], execArgv: lambdaHeap });
    all.add(child);
    await ready(child);
    cpu.add(child);
    return child;
  };
  const settle = () => {
    if (summary !== undefined && running === 0 && waiting.length === 0) finished();
  };
  const pump = () => {
    while (waiting.length > 0 && (idle.length > 0 || all.size < options.maxInstances)) {
      const { task, attempt } = waiting.shift()!;
      running += 1;
      const free = idle.pop();
      void (free ? Promise.resolve(free) : spawnInstance()).then((child) => start(child, task, attempt));
    }
  };
  const start = (child: ChildProcess, task: Task, attempt: number) => {
    const deadline = Date.now() + options.timeoutMs;
      const retry = (why: string) => {
        log(`    ${task.kind} ${"shard" in task ? task.shard : ""} attempt ${attempt + 1} failed: ${why}`);
        running -= 1;
        if (attempt + 1 < options.attempts) {
          retries += 1;
          setTimeout(() => {
            waiting.push({ task, attempt: attempt + 1 });
            pump();
          }, options.retryDelayMs);
        }
      };
      // Lambda ends an invocation at its timeout and discards the instance.
      const timer = setTimeout(() => {
        child.removeListener("message", onMessage);
        cpu.remove(child);
        all.delete(child);
        child.kill("SIGKILL");
        retry("timed out");
        pump();
      }, options.timeoutMs + 200);
      const onMessage = (message: WorkerMessage) => {
        if (message.kind === "enqueue") {
          waiting.push({ task: message.task, attempt: 0 });
          return pump();
        }
        if (message.kind === "summary") {
          summary = message.summary;
          return settle();
        }
        if (message.kind !== "done") return;
        clearTimeout(timer);
        child.removeListener("message", onMessage);
        peakRssBytes = Math.max(peakRssBytes, message.peakRssBytes);
        idle.push(child);
        if (message.error) retry(message.error);
        else running -= 1;
        pump();
        settle();
      };
      child.on("message", onMessage);
      child.send({ task, deadline } satisfies WorkerRequest);
  };

  idle.push(...(await Promise.all(Array.from({ length: options.warmInstances }, spawnInstance))));
  const started = performance.now();
  waiting.push({ task: { kind: "dispatch" }, attempt: 0 });
  pump();
  const progress = setInterval(
    () => log(`    ${seconds(performance.now() - started)}: ${endpoint.delivered.size} reached, ${running} tasks running, ${waiting.length} waiting, ${all.size} instances, ${retries} retried`),
    10_000,
  );
  await done.finally(() => clearInterval(progress));
  const elapsedMs = performance.now() - started;
  const instances = all.size;
  cpu.stop();
  for (const child of all) child.kill("SIGKILL");
  const reached = [...endpoint.delivered.values()];
  return {
    elapsedMs,
    floorMs: (count / options.postRateLimit) * 1000,
    lost: count - reached.length,
    duplicated: reached.reduce((sum, times) => sum + times - 1, 0),
    throttled: endpoint.stats.throttled,
    instances,
    retries,
    peakRssBytes,
    summary,
  };
}

async function runSingle(worker: string, endpoint: ManagementEndpoint, dynamoDbEndpoint: string, count: number, options: Options): Promise<SingleOutcome> {
  const cpu = new DutyCycle(options.cpuShare);
  const child = fork(worker, ["single", endpoint.url, dynamoDbEndpoint, String(options.postRateLimit), String(options.timeoutMs)], { stdio: ["ignore", "ignore", "inherit", "ipc"], execArgv: lambdaHeap });
  await ready(child);
  cpu.add(child);
  const started = performance.now();
  child.send("go");
  let peakRssBytes = 0;
  let completed = false;
  child.on("message", (message: WorkerMessage) => {
    if (message.kind !== "done") return;
    peakRssBytes = message.peakRssBytes;
    completed = true;
  });
  await new Promise((resolve) => child.once("exit", resolve));
  cpu.stop();
  return { elapsedMs: performance.now() - started, timedOut: !completed, reached: endpoint.delivered.size, peakRssBytes };
}

/** Lambda's Node.js runtime sizes the heap to the function's memory; so does this, for 256 MB. */
const lambdaHeap = ["--max-old-space-size=230"];

const ready = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    const onMessage = (message: WorkerMessage) => {
      if (message.kind !== "ready") return;
      child.removeListener("message", onMessage);
      resolve();
    };
    child.on("message", onMessage);
  });

/**
 * Holds processes to a share of one CPU, as Lambda's scheduler holds a function to its memory's
 * share: each runs one 10 ms slot in every 1 ÷ share, the slots spread over the processes.
 */
class DutyCycle {
  private readonly members: ChildProcess[] = [];
  private tick = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly slots: number;
  constructor(share: number) {
    this.slots = Math.round(1 / share);
    this.timer = setInterval(() => this.step(), 10);
  }
  add(child: ChildProcess) {
    this.members.push(child);
  }
  remove(child: ChildProcess) {
    const index = this.members.indexOf(child);
    if (index >= 0) this.members.splice(index, 1);
    signal(child, "SIGCONT");
  }
  stop() {
    clearInterval(this.timer);
    for (const child of this.members.splice(0)) signal(child, "SIGCONT");
  }
  private step() {
    this.tick += 1;
    this.members.forEach((child, i) => signal(child, (this.tick + i) % this.slots === 0 ? "SIGCONT" : "SIGSTOP"));
  }
}

function signal(child: ChildProcess, name: NodeJS.Signals) {
  try {
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, name);
  } catch {
    // Already gone.
  }
}

const megabytes = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MB`;

export function fanOutSection({ options, outcomes }: FanOutBenchResult): string {
  const counts = Object.keys(outcomes).map(Number);
  const rows = counts.map((count) => {
    const { workers, single } = outcomes[count]!;
    return [
      count.toLocaleString("en-US"),
      `${seconds(workers.elapsedMs)} · **${(workers.elapsedMs / workers.floorMs).toFixed(2)}×** the floor of ${seconds(workers.floorMs)}`,
      `${workers.lost} lost · ${workers.duplicated} duplicated`,
      `${workers.instances} instances · ${workers.retries} retried · peak ${megabytes(workers.peakRssBytes)}`,
      single.timedOut ? `timed out at ${seconds(single.elapsedMs)}: **${(count - single.reached).toLocaleString("en-US")} never reached**` : `${seconds(single.elapsedMs)} · ${count - single.reached} lost · peak ${megabytes(single.peakRssBytes)}`,
    ];
  });
  return [
    `A \`sendmessage\`-style fan-out to every connection. Endpoint: ${options.delayMs} ms per post, 429 above ${options.quotaPerSecond.toLocaleString("en-US")} requests/s. ` +
      `Workers: \`postRateLimit\` ${options.postRateLimit.toLocaleString("en-US")}/s, shards of ${defaults.fanOutShardSize}, ${options.timeoutMs / 1000} s timeout, each instance held to ${(options.cpuShare * 100).toFixed(1)}% of a CPU (256 MB), ${options.warmInstances} warm at the start, at most ${options.maxInstances}. ` +
      "Today's model: one invocation posts to everyone, 50 in flight, ended at the timeout.",
    "",
    table(["recipients", "deliver workers: time", "exactly once", "workers used", "one invocation (today)"], rows),
  ].join("\n");
}

export function fanOutFindings({ outcomes }: FanOutBenchResult) {
  const largest = Math.max(...Object.keys(outcomes).map(Number));
  const { workers } = outcomes[largest]!;
  return {
    recipients: largest,
    overFloor: workers.elapsedMs / workers.floorMs,
    lost: Object.values(outcomes).reduce((sum, { workers }) => sum + workers.lost, 0),
    duplicated: Object.values(outcomes).reduce((sum, { workers }) => sum + workers.duplicated, 0),
  };
}
