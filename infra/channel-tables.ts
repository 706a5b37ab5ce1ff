import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { channelAttributes as names } from "../functions/core/ports.js";
import { indexArn } from "./grants.js";

export interface ChannelTablesArgs {
  /**
   * Continuous backups with point-in-time recovery.
   * @default false
   */
  pointInTimeRecovery?: pulumi.Input<boolean>;
  /**
   * Block deletion of the tables. Turn it off before `pulumi destroy`.
   * @default false
   */
  deletionProtection?: pulumi.Input<boolean>;
}

/**
 * The channels' storage: the subscriptions (by channel for fan-out and presence, by connection
 * through a GSI for cleanup) and each channel's seq counter and retained messages. Both expire
 * items by TTL. Attribute names come from the functions' channel store.
 */
export class ChannelTables extends pulumi.ComponentResource {
  readonly subscriptionsTableName: pulumi.Output<string>;
  readonly subscriptionsTableArn: pulumi.Output<string>;
  /** `{tableArn}/index/connectionId-index`: the resource that a connection's subscriptions are queried on. */
  readonly connectionIndexArn: pulumi.Output<string>;
  readonly messagesTableName: pulumi.Output<string>;
  readonly messagesTableArn: pulumi.Output<string>;

  constructor(name: string, args: ChannelTablesArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("websocket-cognito:aws:ChannelTables", name, {}, opts);
    const protection = {
      ttl: { attributeName: names.ttl, enabled: true },
      pointInTimeRecovery: { enabled: args.pointInTimeRecovery ?? false },
      deletionProtectionEnabled: args.deletionProtection ?? false,
    };

    const subscriptions = new aws.dynamodb.Table(
      `${name}-subscriptions`,
      {
        billingMode: "PAY_PER_REQUEST",
        hashKey: names.channel,
        rangeKey: names.member,
        attributes: [
          { name: names.channel, type: "S" },
          { name: names.member, type: "S" },
          { name: names.connectionId, type: "S" },
        ],
        globalSecondaryIndexes: [
          {
            name: names.connectionIndexName,
            keySchemas: [{ attributeName: names.connectionId, keyType: "HASH" }],
            // The cleanup needs the keys (projected always) and who left, for the `leave` frame.
            projectionType: "INCLUDE",
            nonKeyAttributes: ["userId", "username"],
          },
        ],
        ...protection,
      },
      { parent: this },
    );

    const messages = new aws.dynamodb.Table(
      `${name}-messages`,
      {
        billingMode: "PAY_PER_REQUEST",
        hashKey: names.channel,
        rangeKey: names.seq,
        attributes: [
          { name: names.channel, type: "S" },
          { name: names.seq, type: "N" },
        ],
        ...protection,
      },
      { parent: this },
    );

    this.subscriptionsTableName = subscriptions.name;
    this.subscriptionsTableArn = subscriptions.arn;
    this.connectionIndexArn = subscriptions.arn.apply((arn) => indexArn(arn, names.connectionIndexName));
    this.messagesTableName = messages.name;
    this.messagesTableArn = messages.arn;
    this.registerOutputs({
      subscriptionsTableName: this.subscriptionsTableName,
      messagesTableName: this.messagesTableName,
      connectionIndexArn: this.connectionIndexArn,
    });
  }
}
