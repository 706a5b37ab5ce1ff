/** The I/O the core needs, as interfaces; adapters/ implements them with AWS, tests in memory. */

/** One open WebSocket connection and the Cognito user behind it (a DynamoDB item). */
export interface ConnectionRecord {
  readonly connectionId: string;
  /** Cognito `sub`; the user index is keyed on it. */
  readonly userId: string;
  /** `cognito:username` (or `username` of an access token). */
  readonly username: string;
  /** When API Gateway accepted the connection, epoch milliseconds. */
  readonly connectedAt: number;
  /** The token's `exp`, epoch seconds: after it the connection may be closed. A `reauth` moves it. */
  readonly tokenExpiresAt: number;
  /** The token's `cognito:groups`, as channel rules see them; a `reauth` replaces them. */
  readonly groups: readonly string[];
  /** DynamoDB TTL attribute, epoch seconds: a record whose `$disconnect` never came expires. */
  readonly ttl: number;
}

/** How long after `connectedAt` a 410 may still mean "not open yet" rather than "gone". */
export const handshakeGraceMs = 30_000;

/** Names shared by the store, the table definitions (infra/ and local/) and the sweepers. */
export const connectionAttributes = {
  partitionKey: "connectionId",
  userId: "userId",
  tokenExpiresAt: "tokenExpiresAt",
  ttl: "ttl",
  /** The global secondary index on `userId`; fixed, so that push clients need only the table name. */
  userIndexName: "userId-index",
} as const;

export interface ConnectionStore {
  save(record: ConnectionRecord): Promise<void>;
  remove(connectionId: string): Promise<void>;
  /**
   * Removes a record after a 410 GoneException, unless it is younger than `handshakeGraceMs`: API
   * Gateway also answers 410 for a connection whose handshake is still finishing, after `$connect`
   * wrote its record. Deleting that record would leave an open socket nobody can reach.
   */
  removeStale(connectionId: string): Promise<void>;
  /** The groups of the connection's current token (none for a record that is gone). */
  groupsOf(connectionId: string): Promise<readonly string[]>;
  /**
   * Replaces the token expiry and groups of a connection after a `reauth`; false (nothing changed)
   * when the record is gone or belongs to another user.
   */
  reauthenticate(connectionId: string, userId: string, tokenExpiresAt: number, groups: readonly string[]): Promise<boolean>;
  /** Connections open since before `cutoffMs` that have not been told to reconnect, a page at a time. */
  dueForHandover(cutoffMs: number): AsyncIterable<readonly { readonly connectionId: string; readonly connectedAt: number }[]>;
  /** Marks a connection told to reconnect; false when it already was (or is gone). */
  markHandover(connectionId: string, nowMs: number): Promise<boolean>;
  /** The connection ids of one user, a page at a time. */
  connectionIdsOfUser(userId: string): AsyncIterable<readonly string[]>;
  /**
   * The connections whose token or record expired before `nowSeconds`, a page at a time: DynamoDB's
   * TTL deletes records lazily and says nobody, so the sweeper ends them (and their subscriptions) first.
   */
  expiredConnectionIds(nowSeconds: number): AsyncIterable<readonly string[]>;
}

/**
 * `gone`: API Gateway no longer knows the connection (410); the record is stale. `throttled`: the
 * account's `@connections` quota refused the request (429); a fan-out pauses and sends it again.
 */
export type Delivery = "delivered" | "gone" | "throttled";

export interface SendOptions {
  /**
   * A lone request (a reply to its sender) retries throttling itself, as the SDK does, and never
   * answers `throttled`; a fan-out leaves it unset, takes `throttled` and slows all its senders down.
   */
  readonly retryThrottling?: boolean;
}

export interface Notifier {
  /** Sends one text frame; throws on any failure other than a gone connection. */
  send(connectionId: string, data: string, options?: SendOptions): Promise<Delivery>;
  /** Closes the connection (API Gateway then runs `$disconnect`); `delivered` once it is closed. */
  close(connectionId: string): Promise<Delivery>;
  /** Whether API Gateway still knows the connection (`GetConnection`; 410 means no). */
  exists(connectionId: string): Promise<boolean>;
}

/** One connection's subscription to a channel (a DynamoDB item of the subscriptions table). */
export interface Subscription {
  readonly channel: string;
  readonly connectionId: string;
  readonly userId: string;
  readonly username: string;
  /** The connection record's TTL, epoch seconds: a subscription ends with its connection. */
  readonly ttl: number;
}

/** A user present on a channel: what `join`, `leave` and `presence` frames carry. */
export interface Member {
  readonly userId: string;
  readonly username: string;
}

/** A retained message: its seq and the `message` frame as its subscribers received it. */
export interface StoredMessage {
  readonly seq: number;
  readonly frame: string;
}

/** Names shared by the channel store and the table definitions (infra/ and local/). */
export const channelAttributes = {
  /** Subscriptions: partition key. */
  channel: "channel",
  /** Subscriptions: sort key `{userId}#{connectionId}`, so that a user's subscriptions to a channel are one Query. */
  member: "member",
  connectionId: "connectionId",
  /** The global secondary index on `connectionId`: a connection's subscriptions, for its cleanup. */
  connectionIndexName: "connectionId-index",
  /** Messages: sort key; the item with seq 0 holds the channel's latest seq. */
  seq: "seq",
  ttl: "ttl",
} as const;

/**
 * Subscriptions (findable by channel for fan-out and presence, by connection for cleanup) and
 * each channel's sequence and retained messages. DynamoDB deletes expired items lazily, so every
 * read leaves out items whose `ttl` has passed.
 */
export interface ChannelStore {
  /** Adds or renews a subscription. */
  subscribe(subscription: Subscription): Promise<void>;
  /** Removes one subscription; true when it existed. */
  unsubscribe(channel: string, userId: string, connectionId: string): Promise<boolean>;
  /** Removes every subscription of a connection and returns those that existed. */
  removeConnection(connectionId: string): Promise<Subscription[]>;
  /** The channels a connection is subscribed to. */
  channelsOf(connectionId: string): Promise<string[]>;
  /** Whether the user holds a live subscription to the channel from a connection other than this one. */
  hasOtherSubscription(channel: string, userId: string, connectionId: string, nowSeconds: number): Promise<boolean>;
  /** Distinct users with a live subscription. */
  members(channel: string, nowSeconds: number): Promise<Member[]>;
  /** The channel's latest seq; 0 before its first message. */
  latestSeq(channel: string): Promise<number>;
  /** Takes the channel's next seq: atomic, so concurrent publishers never share one. */
  nextSeq(channel: string): Promise<number>;
  /** Retains a message until `expiresAt` (epoch seconds). */
  saveMessage(channel: string, message: StoredMessage, expiresAt: number): Promise<void>;
  /** The retained messages with `after < seq ≤ upTo`, in seq order. */
  messages(channel: string, after: number, upTo: number, nowSeconds: number): Promise<StoredMessage[]>;
}

/** Names shared by the rate limiter's store and its table definitions (infra/ and local/). */
export const rateLimitAttributes = {
  /** Partition key `{userId}#{window}`: one item per user and window. */
  bucket: "bucket",
  /** Frames counted in the window. */
  frames: "frames",
  /** Expires the item shortly after its window. */
  ttl: "ttl",
} as const;

/** Names shared by the delivery ledger and its table definitions (infra/ and local/). */
export const deliveryAttributes = {
  /** Partition key: a fan-out's id, or `pace` for the `@connections` pace counter. */
  job: "job",
  /** Sort key: `total`, `shard#{n}`, or (pace) the epoch second. */
  part: "part",
  ttl: "ttl",
} as const;

/** Who a fan-out reaches: every connection, one user's, or a channel's subscribers (less one). */
export type Audience =
  | { readonly kind: "everyone" }
  | { readonly kind: "user"; readonly userId: string }
  | { readonly kind: "channel"; readonly channel: string; readonly except?: string };

export interface RecipientPage {
  readonly connectionIds: readonly string[];
  /** Where the next page starts (opaque, JSON-safe); absent after the last page. */
  readonly next?: string;
}

/** The connection ids of an audience, a page of at most `limit` at a time, resumable from a cursor. */
export interface Recipients {
  page(audience: Audience, limit: number, cursor: string | undefined, nowSeconds: number): Promise<RecipientPage>;
}

/** A frame on its way to an audience too large for one invocation. */
export interface DeliveryJob {
  readonly id: string;
  readonly audience: Audience;
  readonly frame: string;
  /** Epoch ms: when it was accepted; shards launch paced from here. */
  readonly startedAt: number;
}

/**
 * What a `deliver` worker invocation is given: read recipients into shards, deliver one shard, or
 * end connections a fan-out found gone (their records, subscriptions, and `leave`s).
 */
export type DeliveryTask =
  | { readonly kind: "forget"; readonly connectionIds: readonly string[] }
  /** `cursor` absent: from the first recipient. */
  | { readonly kind: "plan"; readonly job: DeliveryJob; readonly cursor?: string; readonly shard: number }
  /** `continuation`: how many invocations of this shard ran out of time before this one. */
  | { readonly kind: "shard"; readonly job: DeliveryJob; readonly shard: number; readonly connectionIds: readonly string[]; readonly continuation?: number };

/** Hands a task to a worker invocation (Lambda's asynchronous invocation: retried on failure). */
export interface TaskQueue {
  /** The largest task it accepts, in bytes of JSON. */
  readonly maxTaskBytes: number;
  enqueue(task: DeliveryTask): Promise<void>;
}

/** Counts of one shard's delivery, or a whole fan-out's. */
export interface DeliveryCounts {
  readonly recipients: number;
  readonly delivered: number;
  readonly gone: number;
  readonly failed: number;
  readonly throttled: number;
}

/**
 * Which of a shard's recipients (by their index in its task) are settled: delivered, gone or
 * failed. Posts finish nearly in order, so this stays small: a bound and the few beyond it.
 */
export interface ShardProgress {
  /** Every recipient below this index is settled. */
  readonly settledBelow: number;
  /** Indices at or above `settledBelow` that are settled too. */
  readonly settledAbove: readonly number[];
}

export type ShardClaim =
  | { readonly state: "claimed"; readonly progress: ShardProgress }
  /** Another attempt holds the shard's lease. */
  | { readonly state: "busy" }
  /** It is done. */
  | { readonly state: "complete" };

/** A fan-out's counts once every shard is planned and done. */
export type FanOutTotals = DeliveryCounts & { readonly shards: number };

/**
 * The fan-out's plan and each shard's checkpoint: the recipients of each shard as the planner first
 * read them (a retried planner follows that record instead of reading a changed audience again),
 * a lease so that one attempt at a time posts a shard, what it has settled so that a retry skips
 * it, and its counts.
 */
export interface ShardLedger {
  /**
   * The recipients of shard `shard` and where the next page starts: read by `read` and recorded,
   * unless a record exists, which wins.
   */
  plan(jobId: string, shard: number, read: () => Promise<RecipientPage>): Promise<RecipientPage>;
  claim(jobId: string, shard: number, recipients: number, leaseUntilMs: number, nowMs: number): Promise<ShardClaim>;
  /** Replaces the shard's progress and adds `counts` to its counts. */
  record(jobId: string, shard: number, progress: ShardProgress, counts: Partial<DeliveryCounts>): Promise<void>;
  /** Ends the lease early, for the next attempt (a continuation, a retry) to claim at once. */
  release(jobId: string, shard: number): Promise<void>;
  /** Marks the shard done (again, harmlessly); the fan-out's totals if every planned shard is done. */
  complete(jobId: string, shard: number): Promise<FanOutTotals | undefined>;
  /** Records how many shards the fan-out has; its totals if every one is done. */
  planned(jobId: string, shards: number): Promise<FanOutTotals | undefined>;
  /** True exactly once per fan-out: for the one caller that logs its summary. */
  summarizing(jobId: string): Promise<boolean>;
}

/**
 * Waits until one more `@connections` request fits the rate all workers share (`postRateLimit`);
 * false, without waiting longer, once `stopping` says the caller's time is up.
 */
export type Pace = (stopping?: () => boolean) => Promise<boolean>;
