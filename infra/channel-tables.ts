import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { tables } from "../functions/tables.js";
import { indexArn } from "./grants.js";
import { tableArgs, type TableProtection } from "./table.js";

export type ChannelTablesArgs = TableProtection;

/**
 * The channels' storage: the subscriptions (by channel for fan-out and presence, by connection
 * through a GSI for cleanup) and each channel's seq counter and retained messages. Both expire
 * items by TTL (functions/tables.ts describes them; docs/channels.md says why).
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
    const subscriptions = new aws.dynamodb.Table(`${name}-subscriptions`, tableArgs(tables.subscriptions, args), { parent: this });
    const messages = new aws.dynamodb.Table(`${name}-messages`, tableArgs(tables.channelMessages, args), { parent: this });

    this.subscriptionsTableName = subscriptions.name;
    this.subscriptionsTableArn = subscriptions.arn;
    this.connectionIndexArn = subscriptions.arn.apply((arn) => indexArn(arn, tables.subscriptions.index!.name));
    this.messagesTableName = messages.name;
    this.messagesTableArn = messages.arn;
    this.registerOutputs({
      subscriptionsTableName: this.subscriptionsTableName,
      messagesTableName: this.messagesTableName,
      connectionIndexArn: this.connectionIndexArn,
    });
  }
}
