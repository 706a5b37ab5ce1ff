import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { connectionAttributes } from "../functions/core/ports.js";
import { indexArn } from "./grants.js";

export interface ConnectionsTableArgs {
  /**
   * Continuous backups with point-in-time recovery.
   * @default false
   */
  pointInTimeRecovery?: pulumi.Input<boolean>;
  /**
   * Block deletion of the table. Turn it off before `pulumi destroy`.
   * @default false
   */
  deletionProtection?: pulumi.Input<boolean>;
}

/**
 * One item per open connection, keyed by `connectionId`, with a GSI to find a user's connections and
 * a TTL for the records whose `$disconnect` never came. Attribute names come from the functions' store.
 */
export class ConnectionsTable extends pulumi.ComponentResource {
  readonly table: aws.dynamodb.Table;
  readonly tableName: pulumi.Output<string>;
  readonly tableArn: pulumi.Output<string>;
  readonly userIndexName: string;
  /** `{tableArn}/index/{userIndexName}`: the resource that GSI queries are authorized on. */
  readonly userIndexArn: pulumi.Output<string>;

  constructor(name: string, args: ConnectionsTableArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("websocket-cognito:aws:ConnectionsTable", name, {}, opts);
    // Fixed by the functions' store, so that push clients need only the table name.
    this.userIndexName = connectionAttributes.userIndexName;

    // No fixed physical name: Pulumi suffixes the logical one, so stacks and replacements never collide.
    this.table = new aws.dynamodb.Table(
      `${name}-table`,
      {
        billingMode: "PAY_PER_REQUEST",
        hashKey: connectionAttributes.partitionKey,
        attributes: [
          { name: connectionAttributes.partitionKey, type: "S" },
          { name: connectionAttributes.userId, type: "S" },
        ],
        globalSecondaryIndexes: [
          {
            name: this.userIndexName,
            keySchemas: [{ attributeName: connectionAttributes.userId, keyType: "HASH" }],
            // The fan-out reads only connection ids, which every index projects.
            projectionType: "KEYS_ONLY",
          },
        ],
        ttl: { attributeName: connectionAttributes.ttl, enabled: true },
        pointInTimeRecovery: { enabled: args.pointInTimeRecovery ?? false },
        deletionProtectionEnabled: args.deletionProtection ?? false,
      },
      { parent: this },
    );

    this.tableName = this.table.name;
    this.tableArn = this.table.arn;
    this.userIndexArn = this.table.arn.apply((arn) => indexArn(arn, this.userIndexName));
    this.registerOutputs({ tableName: this.tableName, tableArn: this.tableArn, userIndexArn: this.userIndexArn });
  }
}
