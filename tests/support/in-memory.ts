/** In-memory adapters for the core's ports. */
import {
  handshakeGraceMs,
  type ChannelStore,
  type ConnectionRecord,
  type ConnectionStore,
  type Audience,
  type Delivery,
  type DeliveryCounts,
  type DeliveryTask,
  type ShardClaim,
  type ShardLedger,
  type ShardProgress,
  type TaskQueue,
  type Member,
  type RecipientPage,
  type Recipients,
  type Notifier,
  type StoredMessage,
  type Subscription,
} from "../../functions/core/ports.js";

export class InMemoryStore implements ConnectionStore {
  readonly records = new Map<string, ConnectionRecord>();
  /** Ids yielded per page, to exercise paging. */
  constructor(private readonly pageSize = 3) {}

  async save(record: ConnectionRecord) {
    this.records.set(record.connectionId, record);
  }
  async remove(connectionId: string) {
    this.records.delete(connectionId);
  }
  async removeStale(connectionId: string) {
    const record = this.records.get(connectionId);
    if (record && record.connectedAt < Date.now() - handshakeGraceMs) this.records.delete(connectionId);
  }
  async groupsOf(connectionId: string) {
    return this.records.get(connectionId)?.groups ?? [];
  }
  async reauthenticate(connectionId: string, userId: string, tokenExpiresAt: number, groups: readonly string[]) {
    const record = this.records.get(connectionId);
    if (record?.userId !== userId) return false;
    this.records.set(connectionId, { ...record, tokenExpiresAt, groups });
    return true;
  }
  readonly handovers = new Map<string, number>();
  dueForHandover(cutoffMs: number) {
    return this.pages(
      [...this.records.values()]
        .filter((record) => record.connectedAt < cutoffMs && !this.handovers.has(record.connectionId))
        .map(({ connectionId, connectedAt }) => ({ connectionId, connectedAt })),
    );
  }
  async markHandover(connectionId: string, nowMs: number) {
    if (!this.records.has(connectionId) || this.handovers.has(connectionId)) return false;
    this.handovers.set(connectionId, nowMs);
    return true;
  }
  allConnectionIds() {
    return this.pages([...this.records.keys()]);
  }
  expiredConnectionIds(nowSeconds: number) {
    return this.pages(
      [...this.records.values()].filter((record) => record.tokenExpiresAt < nowSeconds || record.ttl < nowSeconds).map((record) => record.connectionId),
    );
  }
  connectionIdsOfUser(userId: string) {
    return this.pages([...this.records.values()].filter((record) => record.userId === userId).map((record) => record.connectionId));
  }
  private async *pages<T>(ids: T[]) {
    for (let i = 0; i < ids.length; i += this.pageSize) yield ids.slice(i, i + this.pageSize);
  }
}

export class RecordingNotifier implements Notifier {
  readonly sent: [string, string][] = [];
  readonly gone = new Set<string>();
  readonly failing = new Map<string, Error>();
  inFlight = 0;
  peakInFlight = 0;

  readonly closed: string[] = [];

  async exists(connectionId: string): Promise<boolean> {
    return !this.gone.has(connectionId);
  }

  async close(connectionId: string): Promise<Delivery> {
    const failure = this.failing.get(connectionId);
    if (failure) throw failure;
    if (this.gone.has(connectionId)) return "gone";
    this.closed.push(connectionId);
    return "delivered";
  }

  /** Every send, answered or not, in order. */
  readonly attempts: string[] = [];
  /** How many more sends to each id answer `throttled` (the account's quota). */
  readonly throttling = new Map<string, number>();

  async send(connectionId: string, data: string): Promise<Delivery> {
    this.attempts.push(connectionId);
    this.inFlight += 1;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    await new Promise((resolve) => setTimeout(resolve, 1));
    this.inFlight -= 1;
    const throttled = this.throttling.get(connectionId) ?? 0;
    if (throttled > 0) {
      this.throttling.set(connectionId, throttled - 1);
      return "throttled";
    }
    const failure = this.failing.get(connectionId);
    if (failure) throw failure;
    if (this.gone.has(connectionId)) return "gone";
    this.sent.push([connectionId, data]);
    return "delivered";
  }

  /** The management notifier's ordered sequence: one send after another, up to the first not delivered. */
  async sendInOrder(connectionId: string, frames: readonly string[]): Promise<Delivery> {
    for (const frame of frames) {
      const delivery = await this.send(connectionId, frame);
      if (delivery !== "delivered") return delivery;
    }
    return "delivered";
  }
}

export const record = (connectionId: string, userId = "user-1", tokenExpiresAt = 0): ConnectionRecord => ({
  connectionId,
  userId,
  username: userId,
  connectedAt: 0,
  tokenExpiresAt,
  groups: [],
  ttl: farFuture,
});

/** What the functions do with gone connections (`FanOutDependencies.forget`), reduced to their records. */
export const forgetIn = (store: InMemoryStore) => async (ids: readonly string[]) => void (await Promise.all(ids.map((id) => store.removeStale(id))));

/** An epoch-seconds time no test reaches. */
export const farFuture = 4_000_000_000;

/** The channel store's contract in memory, expired items left out of every read as DynamoDB's store does. */
export class InMemoryChannelStore implements ChannelStore {
  readonly subscriptions = new Map<string, Subscription>();
  readonly latest = new Map<string, number>();
  readonly retained = new Map<string, { message: StoredMessage; expiresAt: number }[]>();
  private key = (channel: string, userId: string, connectionId: string) => `${channel}\n${userId}#${connectionId}`;
  private live = (channel: string, nowSeconds: number) =>
    [...this.subscriptions.values()].filter((subscription) => subscription.channel === channel && subscription.ttl > nowSeconds);

  async subscribe(subscription: Subscription) {
    this.subscriptions.set(this.key(subscription.channel, subscription.userId, subscription.connectionId), subscription);
  }
  async unsubscribe(channel: string, userId: string, connectionId: string) {
    return this.subscriptions.delete(this.key(channel, userId, connectionId));
  }
  async removeConnection(connectionId: string) {
    const removed = [...this.subscriptions.values()].filter((subscription) => subscription.connectionId === connectionId);
    for (const subscription of removed) await this.unsubscribe(subscription.channel, subscription.userId, connectionId);
    return removed;
  }
  async channelsOf(connectionId: string) {
    return [...this.subscriptions.values()].filter((subscription) => subscription.connectionId === connectionId).map((subscription) => subscription.channel);
  }
  async hasOtherSubscription(channel: string, userId: string, connectionId: string, nowSeconds: number) {
    return this.live(channel, nowSeconds).some((subscription) => subscription.userId === userId && subscription.connectionId !== connectionId);
  }
  subscriberIds(channel: string, nowSeconds: number): string[] {
    return this.live(channel, nowSeconds).map((subscription) => subscription.connectionId);
  }
  async members(channel: string, nowSeconds: number) {
    const members = new Map<string, Member>();
    for (const { userId, username } of this.live(channel, nowSeconds)) members.set(userId, { userId, username });
    return [...members.values()];
  }
  async latestSeq(channel: string) {
    return this.latest.get(channel) ?? 0;
  }
  async nextSeq(channel: string) {
    const seq = (this.latest.get(channel) ?? 0) + 1;
    this.latest.set(channel, seq);
    return seq;
  }
  async saveMessage(channel: string, message: StoredMessage, expiresAt: number) {
    this.retained.set(channel, [...(this.retained.get(channel) ?? []), { message, expiresAt }]);
  }
  async messages(channel: string, after: number, upTo: number, nowSeconds: number) {
    return (this.retained.get(channel) ?? [])
      .filter(({ message, expiresAt }) => message.seq > after && message.seq <= upTo && expiresAt > nowSeconds)
      .map(({ message }) => message)
      .sort((a, b) => a.seq - b.seq);
  }
}

/** The audiences of the in-memory stores in id order, `limit` at a time; the cursor is the last id read (as DynamoDB's is a key). */
export class InMemoryRecipients implements Recipients {
  constructor(
    private readonly stores: { readonly connections?: InMemoryStore; readonly channels?: InMemoryChannelStore },
  ) {}
  async page(audience: Audience, limit: number, cursor: string | undefined, nowSeconds: number) {
    const ids = this.ids(audience, nowSeconds)
      .sort()
      .filter((id) => cursor === undefined || id > cursor);
    const connectionIds = ids.slice(0, limit);
    return { connectionIds, ...(ids.length > limit ? { next: connectionIds.at(-1)! } : {}) };
  }
  private ids(audience: Audience, nowSeconds: number): string[] {
    const { connections, channels } = this.stores;
    switch (audience.kind) {
      case "everyone":
        return [...(connections?.records.keys() ?? [])];
      case "user":
        return [...(connections?.records.values() ?? [])].filter((record) => record.userId === audience.userId).map((record) => record.connectionId);
      case "channel":
        return (channels?.subscriberIds(audience.channel, nowSeconds) ?? []).filter((id) => id !== audience.except);
    }
  }
}

/** Tasks handed to the workers, kept in order; `maxTaskBytes` and refusals set by the test. */
export class InMemoryTaskQueue implements TaskQueue {
  readonly tasks: DeliveryTask[] = [];
  maxTaskBytes = 256 * 1024;
  refuse?: Error;
  async enqueue(task: DeliveryTask) {
    if (this.refuse) throw this.refuse;
    this.tasks.push(task);
  }
  /** Runs queued tasks (and those they queue) until none is left; a task that throws is tried again later, up to `attempts` times. */
  async drain(run: (task: DeliveryTask) => Promise<void>, attempts = 3) {
    const tries = new Map<DeliveryTask, number>();
    for (let task = this.tasks.shift(); task; task = this.tasks.shift()) {
      try {
        await run(task);
      } catch (error) {
        const tried = (tries.get(task) ?? 0) + 1;
        tries.set(task, tried);
        if (tried >= attempts) throw error;
        this.tasks.push(task);
      }
    }
  }
}

/** The shard ledger's contract in memory: plans, leases, progress, counts, totals once every shard is planned and done. */
export class InMemoryShardLedger implements ShardLedger {
  readonly plans = new Map<string, RecipientPage>();
  readonly shards = new Map<string, { leaseUntil: number; progress: ShardProgress; counts: DeliveryCounts; complete: boolean }>();
  readonly totals = new Map<string, { shards?: number; completed: Set<number>; summarized: boolean }>();

  async plan(jobId: string, shard: number, read: () => Promise<RecipientPage>) {
    const key = `${jobId}#${shard}`;
    const recorded = this.plans.get(key);
    if (recorded) return recorded;
    const page = await read();
    // A planner that read meanwhile loses to the first record.
    if (!this.plans.has(key)) this.plans.set(key, page);
    return this.plans.get(key)!;
  }
  async claim(jobId: string, shard: number, recipients: number, leaseUntilMs: number, nowMs: number): Promise<ShardClaim> {
    const key = `${jobId}#${shard}`;
    const entry = this.shards.get(key) ?? { leaseUntil: 0, progress: { settledBelow: 0, settledAbove: [] }, counts: { recipients, delivered: 0, gone: 0, failed: 0, throttled: 0 }, complete: false };
    this.shards.set(key, entry);
    if (entry.complete) return { state: "complete" };
    if (entry.leaseUntil >= nowMs) return { state: "busy" };
    entry.leaseUntil = leaseUntilMs;
    return { state: "claimed", progress: entry.progress };
  }
  async record(jobId: string, shard: number, progress: ShardProgress, counts: Partial<DeliveryCounts>) {
    const entry = this.shards.get(`${jobId}#${shard}`)!;
    entry.progress = progress;
    const sums = { ...entry.counts };
    for (const [name, value] of Object.entries(counts) as [keyof DeliveryCounts, number][]) sums[name] += value;
    entry.counts = sums;
  }
  async release(jobId: string, shard: number) {
    this.shards.get(`${jobId}#${shard}`)!.leaseUntil = 0;
  }
  async complete(jobId: string, shard: number) {
    this.shards.get(`${jobId}#${shard}`)!.complete = true;
    this.total(jobId).completed.add(shard);
    return this.finished(jobId);
  }
  async planned(jobId: string, shards: number) {
    this.total(jobId).shards = shards;
    return this.finished(jobId);
  }
  async summarizing(jobId: string) {
    const total = this.total(jobId);
    if (total.summarized) return false;
    total.summarized = true;
    return true;
  }
  private total(jobId: string) {
    const total = this.totals.get(jobId) ?? { completed: new Set<number>(), summarized: false };
    this.totals.set(jobId, total);
    return total;
  }
  private finished(jobId: string) {
    const total = this.total(jobId);
    if (total.shards === undefined || total.completed.size < total.shards) return undefined;
    const sums = { recipients: 0, delivered: 0, gone: 0, failed: 0, throttled: 0 };
    for (const [key, { counts }] of this.shards) {
      if (!key.startsWith(`${jobId}#`)) continue;
      for (const name of Object.keys(sums) as (keyof DeliveryCounts)[]) sums[name] += counts[name];
    }
    return { ...sums, shards: total.shards };
  }
}
