/** In-memory adapters for the core's ports. */
import {
  handshakeGraceMs,
  type ChannelStore,
  type ConnectionRecord,
  type ConnectionStore,
  type Delivery,
  type Member,
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

  async send(connectionId: string, data: string): Promise<Delivery> {
    this.attempts.push(connectionId);
    this.inFlight += 1;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    await new Promise((resolve) => setTimeout(resolve, 1));
    this.inFlight -= 1;
    const failure = this.failing.get(connectionId);
    if (failure) throw failure;
    if (this.gone.has(connectionId)) return "gone";
    this.sent.push([connectionId, data]);
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
  constructor(private readonly pageSize = 3) {}

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
  async *subscriberIds(channel: string, nowSeconds: number) {
    const ids = this.live(channel, nowSeconds).map((subscription) => subscription.connectionId);
    for (let i = 0; i < ids.length; i += this.pageSize) yield ids.slice(i, i + this.pageSize);
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
