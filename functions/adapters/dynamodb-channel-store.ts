/**
 * ChannelStore on DynamoDB. Two tables:
 * - subscriptions: `channel` + `member` (`{userId}#{connectionId}`), with a GSI on `connectionId`;
 * - messages: `channel` + `seq`; the item with seq 0 counts the channel's seqs, the others are the
 *   retained messages.
 * Both carry a `ttl`, and every read leaves out expired items: DynamoDB deletes them lazily.
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  BatchWriteCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand,
  UpdateCommand, paginateQuery, type BatchWriteCommandOutput,
} from "@aws-sdk/lib-dynamodb";
import { channelAttributes as names, type ChannelStore, type Member, type StoredMessage, type Subscription } from "../core/ports.js";

export interface DynamoDbChannelStoreOptions {
  readonly client: DynamoDBClient;
  readonly subscriptionsTableName: string;
  readonly messagesTableName: string;
  /** Items per Query page; DynamoDB's 1 MB pages when unset. */
  readonly pageSize?: number;
}

const member = (userId: string, connectionId: string) => `${userId}#${connectionId}`;
/** DynamoDB's BatchWriteItem limit. */
const batchSize = 25;

export function createDynamoDbChannelStore({ client, subscriptionsTableName, messagesTableName, pageSize }: DynamoDbChannelStoreOptions): ChannelStore {
  const documents = DynamoDBDocumentClient.from(client);
  const paging = { client: documents, ...(pageSize === undefined ? {} : { pageSize }) };
  const live = { FilterExpression: "#ttl > :now", ExpressionAttributeNames: { "#ttl": names.ttl } };

  /** A channel's live subscriptions, a page at a time (strongly consistent: a new one is seen at once). */
  const subscriptionPages = (channel: string, nowSeconds: number, prefix?: string) =>
    paginateQuery(paging, {
      TableName: subscriptionsTableName,
      ConsistentRead: true,
      KeyConditionExpression: prefix === undefined ? "#channel = :channel" : "#channel = :channel AND begins_with(#member, :prefix)",
      ...live,
      ExpressionAttributeNames: { ...live.ExpressionAttributeNames, "#channel": names.channel, ...(prefix === undefined ? {} : { "#member": names.member }) },
      ExpressionAttributeValues: { ":channel": channel, ":now": nowSeconds, ...(prefix === undefined ? {} : { ":prefix": prefix }) },
    });

  async function connectionSubscriptions(connectionId: string): Promise<Subscription[]> {
    const found: Subscription[] = [];
    const pages = paginateQuery(paging, {
      TableName: subscriptionsTableName,
      IndexName: names.connectionIndexName,
      KeyConditionExpression: "#connectionId = :connectionId",
      ExpressionAttributeNames: { "#connectionId": names.connectionId },
      ExpressionAttributeValues: { ":connectionId": connectionId },
    });
    for await (const page of pages) for (const item of page.Items ?? []) found.push(item as Subscription);
    return found;
  }

  return {
    async subscribe(subscription) {
      await documents.send(
        new PutCommand({ TableName: subscriptionsTableName, Item: { ...subscription, [names.member]: member(subscription.userId, subscription.connectionId) } }),
      );
    },
    async unsubscribe(channel, userId, connectionId) {
      const { Attributes } = await documents.send(
        new DeleteCommand({ TableName: subscriptionsTableName, Key: { [names.channel]: channel, [names.member]: member(userId, connectionId) }, ReturnValues: "ALL_OLD" }),
      );
      return Attributes !== undefined;
    },
    async removeConnection(connectionId) {
      const subscriptions = await connectionSubscriptions(connectionId);
      for (let start = 0; start < subscriptions.length; start += batchSize) {
        const requests = subscriptions.slice(start, start + batchSize).map(({ channel, userId }) => ({
          DeleteRequest: { Key: { [names.channel]: channel, [names.member]: member(userId, connectionId) } },
        }));
        let unprocessed: Record<string, unknown>[] | undefined = requests;
        // DynamoDB may hand back part of a batch under load; those are sent again until none is left.
        while (unprocessed && unprocessed.length > 0) {
          const answer: BatchWriteCommandOutput = await documents.send(
            new BatchWriteCommand({ RequestItems: { [subscriptionsTableName]: unprocessed as never } }),
          );
          unprocessed = answer.UnprocessedItems?.[subscriptionsTableName];
        }
      }
      return subscriptions;
    },
    async channelsOf(connectionId) {
      return (await connectionSubscriptions(connectionId)).map((subscription) => subscription.channel);
    },
    async hasOtherSubscription(channel, userId, connectionId, nowSeconds) {
      for await (const page of subscriptionPages(channel, nowSeconds, `${userId}#`)) {
        if ((page.Items ?? []).some((item) => item[names.connectionId] !== connectionId)) return true;
      }
      return false;
    },
    async members(channel, nowSeconds) {
      const members = new Map<string, Member>();
      for await (const page of subscriptionPages(channel, nowSeconds)) {
        for (const item of page.Items ?? []) members.set(String(item.userId), { userId: String(item.userId), username: String(item.username) });
      }
      return [...members.values()];
    },
    async latestSeq(channel) {
      const { Item } = await documents.send(
        new GetCommand({ TableName: messagesTableName, Key: { [names.channel]: channel, [names.seq]: 0 }, ConsistentRead: true }),
      );
      return Number(Item?.latest ?? 0);
    },
    async nextSeq(channel) {
      const { Attributes } = await documents.send(
        new UpdateCommand({
          TableName: messagesTableName,
          Key: { [names.channel]: channel, [names.seq]: 0 },
          UpdateExpression: "ADD latest :one",
          ExpressionAttributeValues: { ":one": 1 },
          ReturnValues: "UPDATED_NEW",
        }),
      );
      return Number(Attributes!.latest);
    },
    async saveMessage(channel, message, expiresAt) {
      await documents.send(new PutCommand({ TableName: messagesTableName, Item: { [names.channel]: channel, ...message, [names.ttl]: expiresAt } }));
    },
    async messages(channel, after, upTo, nowSeconds) {
      const found: StoredMessage[] = [];
      const pages = paginateQuery(paging, {
        TableName: messagesTableName,
        ConsistentRead: true,
        KeyConditionExpression: "#channel = :channel AND #seq BETWEEN :from AND :to",
        ...live,
        // Only what a replay sends: fewer attributes to return and to unmarshal.
        ProjectionExpression: "#seq, #frame",
        ExpressionAttributeNames: { ...live.ExpressionAttributeNames, "#channel": names.channel, "#seq": names.seq, "#frame": "frame" },
        ExpressionAttributeValues: { ":channel": channel, ":from": after + 1, ":to": upTo, ":now": nowSeconds },
      });
      for await (const page of pages) for (const item of page.Items ?? []) found.push({ seq: Number(item.seq), frame: String(item.frame) });
      return found;
    },
  };
}
