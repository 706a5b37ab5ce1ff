/**
 * The rate limiter's window counter on DynamoDB: one `UpdateItem` per frame that adds one and
 * returns the count, no read. It is every frame's one request before anything else, so it is sent
 * without the generated client, whose middleware took longer than DynamoDB's own answer
 * (BENCHMARKS.md, "Per-user rate limit"): the request is built from the client's own configuration
 * (endpoint rules, credentials, region, HTTP handler and its sockets), signed by the SDK's signer
 * and retried by the SDK's standard rules. Body and signature are the generated client's.
 */
import { UpdateItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { getEndpointFromInstructions } from "@smithy/core/endpoints";
import { HttpRequest } from "@smithy/core/protocols";
import { streamCollector } from "@smithy/node-http-handler";
import { SignatureV4 } from "@smithy/signature-v4";
import type { CountFrame } from "../core/rate-limit.js";
import { rateLimitAttributes as names } from "../core/ports.js";
import { errorOf, standardRetries } from "./aws-requests.js";

export function createDynamoDbFrameCounter({ client, tableName }: { client: DynamoDBClient; tableName: string }): CountFrame {
  const { config } = client;
  const signer = new SignatureV4({ service: "dynamodb", region: config.region, credentials: config.credentials, sha256: config.sha256 });
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
    const url = await endpointUrl();
    const request = new HttpRequest({
      method: "POST",
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      headers: {
        host: url.host,
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": "DynamoDB_20120810.UpdateItem",
        "content-length": String(Buffer.byteLength(body)),
      },
      body,
    });
    const { response } = await config.requestHandler.handle((await signer.sign(request)) as HttpRequest);
    // Read to the end in every case, so that the socket goes back to the pool.
    const answer = Buffer.from(await streamCollector(response.body)).toString();
    if (response.statusCode !== 200) throw errorOf("DynamoDB", response, answer);
    return countIn(answer);
  };

  return (userId, window) => {
    // In the generated client's order, byte for byte the body it would send.
    const body = JSON.stringify({
      TableName: tableName,
      Key: { [names.bucket]: { S: `${userId}#${window.index}` } },
      ReturnValues: "UPDATED_NEW",
      UpdateExpression: "ADD #frames :one SET #ttl = :ttl",
      ExpressionAttributeNames: { "#frames": names.frames, "#ttl": names.ttl },
      // A minute past the window's end: long enough for clock skew between instances.
      ExpressionAttributeValues: { ":one": { N: "1" }, ":ttl": { N: String(Math.ceil(window.endsAt / 1000) + 60) } },
    });
    return retrying("dynamodb", () => attempt(body));
  };
}

function countIn(answer: string): number {
  const frames = Number((JSON.parse(answer) as { Attributes?: Record<string, { N?: string }> }).Attributes?.[names.frames]?.N);
  if (!Number.isInteger(frames) || frames < 1) throw new Error(`DynamoDB answered the frame count without a count: ${answer.slice(0, 200)}`);
  return frames;
}
