/**
 * The rate limiter's window counter on DynamoDB: one `UpdateItem` per lease that adds its frames
 * and returns the count, no read. It is on a frame's path, so it is sent without the
 * generated client, whose middleware took longer than DynamoDB's own answer (BENCHMARKS.md,
 * "Per-user rate limit"): signed from the SDK's parts with the client's own configuration (its
 * endpoint rules, credentials, region and `maxAttempts`). Body and signature are the generated
 * client's.
 */
import { UpdateItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { getEndpointFromInstructions } from "@smithy/core/endpoints";
import type { CountFrames, RateWindow } from "../core/rate-limit.js";
import { rateLimitAttributes as names } from "../core/ports.js";
import { createSignedHttp, errorOf, standardRetries } from "./signed-http.js";

export function createDynamoDbFrameCounter({ client, tableName }: { client: DynamoDBClient; tableName: string }): CountFrames {
  const { config } = client;
  // A function instance handles one frame at a time, so it takes at most one lease at a time.
  const http = createSignedHttp({ service: "dynamodb", region: config.region, credentials: config.credentials, maxSockets: 1 });
  const retrying = standardRetries(config.maxAttempts);
  // Resolved once, by the client's own rules (AWS_ENDPOINT_URL_DYNAMODB, FIPS, dual-stack, …); again after a failure.
  let endpoint: Promise<URL> | undefined;
  const endpointUrl = () =>
    (endpoint ??= getEndpointFromInstructions({ TableName: tableName }, UpdateItemCommand, config).then(
      ({ url }) => url,
      (error: unknown) => {
        endpoint = undefined;
        throw error;
      },
    ));

  const attempt = async (body: string): Promise<number> => {
    const response = await http.send("POST", await endpointUrl(), body, { "content-type": "application/x-amz-json-1.0", "x-amz-target": "DynamoDB_20120810.UpdateItem" });
    if (response.statusCode !== 200) throw errorOf("DynamoDB", response);
    return countIn(response.body);
  };
  return (userId, window, frames) => {
    const body = JSON.stringify(counterRequest(tableName, userId, window, frames));
    return retrying("dynamodb", () => attempt(body));
  };
}

/** The counter's `UpdateItem` input, in the generated client's order: byte for byte the body it would send. */
export const counterRequest = (tableName: string, userId: string, window: RateWindow, frames: number) => ({
  TableName: tableName,
  Key: { [names.bucket]: { S: `${userId}#${window.index}` } },
  ReturnValues: "UPDATED_NEW" as const,
  UpdateExpression: "ADD #frames :frames SET #ttl = :ttl",
  ExpressionAttributeNames: { "#frames": names.frames, "#ttl": names.ttl },
  // A minute past the window's end: long enough for clock skew between instances.
  ExpressionAttributeValues: { ":frames": { N: String(frames) }, ":ttl": { N: String(Math.ceil(window.endsAt / 1000) + 60) } },
});

function countIn(answer: string): number {
  const frames = Number((JSON.parse(answer) as { Attributes?: Record<string, { N?: string }> }).Attributes?.[names.frames]?.N);
  if (!Number.isInteger(frames) || frames < 1) throw new Error(`DynamoDB answered the frame count without a count: ${answer.slice(0, 200)}`);
  return frames;
}
