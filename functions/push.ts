/**
 * Server-side push, for other services (DESIGN §1): deliver data to every connection of a Cognito
 * user, through the same store, notifier and fan-out as the `sendtouser` route.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createDynamoDbStore } from "./adapters/dynamodb-store.js";
import { createManagementNotifier } from "./adapters/management-notifier.js";
import { fanOut, type FanOutReport } from "./core/fan-out.js";
import { defaults } from "./settings/schema.js";

export interface PushTarget {
  /** `managementApiUrl` of the stack outputs. */
  readonly managementApiUrl: string;
  readonly connectionsTableName: string;
  readonly userIndexName: string;
  readonly region: string;
  /** The local stack's `dynamoDbEndpoint`; the AWS endpoint when unset. */
  readonly dynamoDbEndpoint?: string;
}

export async function pushToUser(target: PushTarget, userId: string, data: string): Promise<FanOutReport> {
  const local = target.dynamoDbEndpoint !== undefined;
  // The local stack accepts any signature; the cloud one needs the caller's own credentials.
  const credentials = local ? { accessKeyId: "local", secretAccessKey: "local" } : undefined;
  const dynamodb = new DynamoDBClient({ region: target.region, ...(local ? { endpoint: target.dynamoDbEndpoint, credentials } : {}) });
  const notifier = createManagementNotifier({
    endpoint: target.managementApiUrl,
    maxSockets: defaults.postConcurrency,
    region: target.region,
    ...(credentials ? { credentials } : {}),
  });
  try {
    const store = createDynamoDbStore({ client: dynamodb, tableName: target.connectionsTableName, userIndexName: target.userIndexName });
    return await fanOut(store.connectionIdsOfUser(userId), data, { store, notifier, concurrency: defaults.postConcurrency });
  } finally {
    dynamodb.destroy();
    notifier.destroy();
  }
}
