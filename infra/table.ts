import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { keyAttributes, type TableDescription } from "../functions/tables.js";

export interface TableProtection {
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
 * A table's arguments from its description: on demand, TTL on, no fixed name (Pulumi suffixes the
 * logical one, so stacks and replacements never collide).
 */
export function tableArgs(table: TableDescription, protection: TableProtection = {}): aws.dynamodb.TableArgs {
  const { index } = table;
  return {
    billingMode: "PAY_PER_REQUEST",
    hashKey: table.hashKey.name,
    ...(table.rangeKey ? { rangeKey: table.rangeKey.name } : {}),
    attributes: keyAttributes(table),
    ...(index
      ? {
          globalSecondaryIndexes: [
            {
              name: index.name,
              keySchemas: [{ attributeName: index.hashKey.name, keyType: "HASH" }],
              ...(index.include ? { projectionType: "INCLUDE", nonKeyAttributes: [...index.include] } : { projectionType: "KEYS_ONLY" }),
            },
          ],
        }
      : {}),
    ttl: { attributeName: table.ttl, enabled: true },
    pointInTimeRecovery: { enabled: protection.pointInTimeRecovery ?? false },
    deletionProtectionEnabled: protection.deletionProtection ?? false,
  };
}
