/**
 * The DynamoDB tables, described once: keys, index and TTL attribute. infra/ declares them on AWS
 * from this, the local stack creates them in dynalite from this, and the stores read and write
 * the attributes named here. Data only: no AWS SDK, no Pulumi.
 */
import {
  channelAttributes as channel,
  connectionAttributes as connection,
  deliveryAttributes as delivery,
  rateLimitAttributes as rateLimit,
} from "./core/ports.js";

export interface KeyAttribute {
  readonly name: string;
  readonly type: "S" | "N";
}

export interface TableDescription {
  readonly hashKey: KeyAttribute;
  readonly rangeKey?: KeyAttribute;
  /** One global secondary index; `include` lists the attributes it projects besides the keys. */
  readonly index?: { readonly name: string; readonly hashKey: KeyAttribute; readonly include?: readonly string[] };
  /** Items expire when this attribute (epoch seconds) has passed. */
  readonly ttl: string;
}

export type TableName = "connections" | "subscriptions" | "channelMessages" | "rateLimits" | "deliveries";

export const tables: Readonly<Record<TableName, TableDescription>> = {
  /** One item per open connection; the index finds a user's connections. */
  connections: {
    hashKey: { name: connection.partitionKey, type: "S" },
    // The fan-out reads only connection ids, which every index projects.
    index: { name: connection.userIndexName, hashKey: { name: connection.userId, type: "S" } },
    ttl: connection.ttl,
  },
  /** One item per (channel, connection); the index finds a connection's subscriptions. */
  subscriptions: {
    hashKey: { name: channel.channel, type: "S" },
    rangeKey: { name: channel.member, type: "S" },
    // The cleanup needs the keys (projected always) and who left, for the `leave` frame.
    index: { name: channel.connectionIndexName, hashKey: { name: channel.connectionId, type: "S" }, include: ["userId", "username"] },
    ttl: channel.ttl,
  },
  /** Per channel, the seq counter (seq 0) and the retained messages. */
  channelMessages: {
    hashKey: { name: channel.channel, type: "S" },
    rangeKey: { name: channel.seq, type: "N" },
    ttl: channel.ttl,
  },
  /** One counter per user and rate window. */
  rateLimits: {
    hashKey: { name: rateLimit.bucket, type: "S" },
    ttl: rateLimit.ttl,
  },
  /** Per fan-out: its totals and one checkpoint per shard; per second: the `@connections` pace counter. */
  deliveries: {
    hashKey: { name: delivery.job, type: "S" },
    rangeKey: { name: delivery.part, type: "S" },
    ttl: delivery.ttl,
  },
};

/** Every attribute the table's keys and index name, each once, in that order. */
export const keyAttributes = ({ hashKey, rangeKey, index }: TableDescription): KeyAttribute[] =>
  [hashKey, rangeKey, index?.hashKey].filter((key): key is KeyAttribute => key !== undefined);
