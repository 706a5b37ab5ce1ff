/** The messaging handlers, loaded with the real adapters wired to dynalite and a management stub. */
import { vi } from "vitest";
import type { WebSocketEvent, WebSocketResult } from "../../functions/handlers/shared/events.js";
import { settingsEnvironment } from "../../functions/settings/environment.js";
import { startDynamoDb, testTables, type LocalDynamoDb } from "./dynalite.js";
import { startManagementStub, type ManagementStub } from "./management-stub.js";

export type Handler = (event: WebSocketEvent) => Promise<WebSocketResult>;

export interface MessagingFixture<Name extends string> {
  readonly dynamo: LocalDynamoDb;
  readonly management: ManagementStub;
  readonly handlers: Record<Name, Handler>;
  close(): Promise<void>;
}

/**
 * Sets the environment infra/ would set (plus `extra`, and what `around` returns for the started
 * dynalite), then imports each handler module.
 */
export async function loadMessagingHandlers<Name extends string>(
  names: readonly Name[],
  extra: Record<string, string> = {},
  around: (dynamo: LocalDynamoDb) => Promise<Record<string, string>> = async () => ({}),
): Promise<MessagingFixture<Name>> {
  const [dynamo, management] = await Promise.all([startDynamoDb(), startManagementStub()]);
  const env = {
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    ...settingsEnvironment("messaging", { ...testTables, managementApiUrl: management.url }),
    ...extra,
    ...(await around(dynamo)),
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  const handlers = Object.fromEntries(
    await Promise.all(names.map(async (name) => [name, (await import(`../../functions/handlers/${name}.ts`)).handler as Handler])),
  ) as Record<Name, Handler>;
  return { dynamo, management, handlers, close: async () => void (await Promise.all([dynamo.close(), management.close()])) };
}
