import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { tables } from "../functions/tables.js";
import { tableArgs } from "./table.js";

/**
 * The per-user rate limiter's counters: one item per user and window, expired by TTL shortly
 * after its window. Nothing in it outlives a few seconds, so it needs no backups.
 */
export class RateLimitTable extends pulumi.ComponentResource {
  readonly tableName: pulumi.Output<string>;
  readonly tableArn: pulumi.Output<string>;

  constructor(name: string, args: Record<string, never> = {}, opts?: pulumi.ComponentResourceOptions) {
    super("websocket-cognito:aws:RateLimitTable", name, args, opts);
    const table = new aws.dynamodb.Table(`${name}-table`, tableArgs(tables.rateLimits), { parent: this });
    this.tableName = table.name;
    this.tableArn = table.arn;
    this.registerOutputs({ tableName: this.tableName, tableArn: this.tableArn });
  }
}
