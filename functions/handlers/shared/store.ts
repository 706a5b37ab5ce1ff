/** Module-scope wiring shared by the messaging functions: settings, DynamoDB store. */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createDynamoDbStore } from "../../adapters/dynamodb-store.js";
import { readMessagingSettings } from "../../environment.js";

export const settings = readMessagingSettings(process.env);

// Endpoint and region come from the SDK's standard variables (AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB).
export const store = createDynamoDbStore({
  client: new DynamoDBClient({}),
  tableName: settings.connectionsTableName,
  userIndexName: settings.userIndexName,
});
