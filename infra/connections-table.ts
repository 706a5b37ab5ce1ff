import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { tables } from "../functions/tables.js";
import { indexArn } from "./grants.js";
import { tableArgs, type TableProtection } from "./table.js";

export type ConnectionsTableArgs = TableProtection;

/**
 * One item per open connection, keyed by `connectionId`, with a GSI to find a user's connections and
 * a TTL for the records whose `$disconnect` never came (functions/tables.ts describes it).
 */
export class ConnectionsTable extends pulumi.ComponentResource {
  readonly table: aws.dynamodb.Table;
  readonly tableName: pulumi.Output<string>;
  readonly tableArn: pulumi.Output<string>;
  /** Fixed by the table's description, so that push clients need only the table name. */
  readonly userIndexName = tables.connections.index!.name;
  /** `{tableArn}/index/{userIndexName}`: the resource that GSI queries are authorized on. */
  readonly userIndexArn: pulumi.Output<string>;

  constructor(name: string, args: ConnectionsTableArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("websocket-cognito:aws:ConnectionsTable", name, {}, opts);
    this.table = new aws.dynamodb.Table(`${name}-table`, tableArgs(tables.connections, args), { parent: this });
    this.tableName = this.table.name;
    this.tableArn = this.table.arn;
    this.userIndexArn = this.table.arn.apply((arn) => indexArn(arn, this.userIndexName));
    this.registerOutputs({ tableName: this.tableName, tableArn: this.tableArn, userIndexArn: this.userIndexArn });
  }
}
