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
  /** The token's `exp`, epoch seconds: after it the connection may be closed. */
  readonly tokenExpiresAt: number;
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
  /** Every stored connection id, a page at a time. */
  allConnectionIds(): AsyncIterable<readonly string[]>;
  /** The connection ids of one user, a page at a time. */
  connectionIdsOfUser(userId: string): AsyncIterable<readonly string[]>;
  /** The connections whose token expired before `nowSeconds`, a page at a time. */
  expiredConnectionIds(nowSeconds: number): AsyncIterable<readonly string[]>;
}

/** `gone`: API Gateway no longer knows the connection (410); the record is stale. */
export type Delivery = "delivered" | "gone";

export interface Notifier {
  /** Sends one text frame; throws on any failure other than a gone connection. */
  send(connectionId: string, data: string): Promise<Delivery>;
  /** Closes the connection (API Gateway then runs `$disconnect`); `delivered` once it is closed. */
  close(connectionId: string): Promise<Delivery>;
}
