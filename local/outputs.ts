/** The stack outputs: the same keys as `pulumi stack output --json`, plus local endpoints. */
import { readFile } from "node:fs/promises";
import { writeAtomically } from "../build/write-atomically.js";

export interface StackOutputs {
  readonly webSocketUrl: string;
  readonly managementApiUrl: string;
  readonly userPoolId: string;
  readonly userPoolClientId: string;
  readonly region: string;
  readonly connectionsTableName: string;
  /** The channels' tables and retention: what a server-side publish needs. */
  readonly subscriptionsTableName?: string;
  readonly channelMessagesTableName?: string;
  readonly channelHistorySeconds?: number;
  /** The fan-outs' checkpoints and `@connections` pace counter, and that pace: what a server-side publisher's fan-out needs. */
  readonly deliveriesTableName?: string;
  readonly postRateLimit?: number;
  /** Local stack only. */
  readonly cognitoEndpoint?: string;
  /** Local stack only. */
  readonly dynamoDbEndpoint?: string;
  /** Local stack only: Lambda's Invoke API (`AWS_ENDPOINT_URL_LAMBDA` of every function). */
  readonly lambdaEndpoint?: string;
  /** The web client's page: always on the local stack; in the cloud with the `webClient` config key. */
  readonly webClientUrl?: string;
}

const requiredKeys = ["webSocketUrl", "managementApiUrl", "userPoolId", "userPoolClientId", "region", "connectionsTableName"] as const;

/** Written atomically: a reader never sees half a file, even after SIGKILL. */
export async function writeOutputs(path: string, outputs: StackOutputs): Promise<void> {
  await writeAtomically(path, `${JSON.stringify(outputs, null, 2)}\n`);
}

/** Reads outputs from `.local/outputs.json` or a saved `pulumi stack output --json`. */
export async function readOutputs(path: string): Promise<StackOutputs> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new Error(`${path} not found: start the local stack with "npm start", or save "pulumi stack output --json" to a file`);
  }
  return parseOutputs(text, path);
}

export function parseOutputs(text: string, source: string): StackOutputs {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${source} is not JSON`);
  }
  const outputs = value as Record<string, unknown>;
  for (const key of requiredKeys) {
    if (typeof outputs?.[key] !== "string" || outputs[key] === "") throw new Error(`${source} lacks the output "${key}"`);
  }
  return outputs as unknown as StackOutputs;
}
