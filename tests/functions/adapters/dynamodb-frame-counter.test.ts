/**
 * The rate limiter's window counter: on dynalite, what it counts and stores; against a recording
 * endpoint, that it sends the generated client's request, signed as the client signs it, and
 * answers and retries as the client would.
 */
import { DynamoDBClient, UpdateItemCommand, type UpdateItemCommandInput } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createDynamoDbFrameCounter } from "../../../functions/adapters/dynamodb-frame-counter.js";
import { AwsApiError } from "../../../functions/adapters/errors.js";
import { windowAt } from "../../../functions/core/rate-limit.js";
import { startDynamoDb, testTables, type LocalDynamoDb } from "../../support/dynalite.js";
import { signatureMatches, startRecordingEndpoint, type Answer, type Received, type RecordingEndpoint } from "../../support/recording-endpoint.js";

const tableName = testTables.rateLimitsTableName;
const limit = { rate: 20, burst: 40 };
const window = windowAt(Date.UTC(2030, 0, 1), limit);

describe("the frame counter on dynalite", () => {
  let dynamo: LocalDynamoDb;
  beforeAll(async () => void (dynamo = await startDynamoDb()));
  afterAll(() => dynamo?.close());

  it("adds each lease's frames to the user's window, and keeps the count a minute past the window", async () => {
    const count = createDynamoDbFrameCounter({ client: dynamo.client, tableName });
    expect([await count("alice", window, 1), await count("alice", window, 1), await count("alice", window, 1)]).toEqual([1, 2, 3]);
    expect(await count("bob", window, 4)).toBe(4);
    const next = windowAt(window.endsAt, limit);
    expect(await count("alice", next, 1)).toBe(1);

    const { Item } = await DynamoDBDocumentClient.from(dynamo.client).send(new GetCommand({ TableName: tableName, Key: { bucket: `alice#${window.index}` } }));
    expect(Item).toEqual({ bucket: `alice#${window.index}`, frames: 3, ttl: Math.ceil(window.endsAt / 1000) + 60 });
  });

  it("finds the endpoint by the client's own rules (AWS_ENDPOINT_URL_DYNAMODB, as in the local stack's functions)", async () => {
    vi.stubEnv("AWS_ENDPOINT_URL_DYNAMODB", dynamo.endpoint);
    try {
      const client = new DynamoDBClient({ region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
      expect(await createDynamoDbFrameCounter({ client, tableName })("carol", window, 1)).toBe(1);
      client.destroy();
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe("the frame counter's requests", () => {
  const region = "eu-west-1";
  const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "session-token" };
  const counted = (frames: number) => JSON.stringify({ Attributes: { frames: { N: String(frames) } } });
  let server: RecordingEndpoint;
  const received: Received[] = [];
  /** Answers for the next requests, in order; then 200 with a count of 1. */
  let answers: Answer[] = [];
  const clients: DynamoDBClient[] = [];
  const newClient = (maxAttempts = 3) => {
    const client = new DynamoDBClient({ endpoint: server.origin, region, credentials, maxAttempts });
    clients.push(client);
    return client;
  };
  const newCounter = (maxAttempts?: number) => createDynamoDbFrameCounter({ client: newClient(maxAttempts), tableName });

  beforeAll(async () => {
    server = await startRecordingEndpoint((request) => {
      received.push(request);
      return answers.shift() ?? { status: 200, body: counted(1) };
    });
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.destroy();
    received.length = 0;
    answers = [];
  });
  afterAll(() => server.close());

  it("sends what the generated client sends for the same UpdateItem, signed so that a SigV4 check accepts it", async () => {
    await newCounter()("alice", window, 1);
    const ours = received[0] as Received;
    await newClient().send(new UpdateItemCommand(JSON.parse(ours.body) as UpdateItemCommandInput));
    const theirs = received[1] as Received;

    expect(JSON.parse(ours.body)).toEqual({
      TableName: tableName,
      Key: { bucket: { S: `alice#${window.index}` } },
      UpdateExpression: "ADD #frames :frames SET #ttl = :ttl",
      ExpressionAttributeNames: { "#frames": "frames", "#ttl": "ttl" },
      ExpressionAttributeValues: { ":frames": { N: "1" }, ":ttl": { N: String(Math.ceil(window.endsAt / 1000) + 60) } },
      ReturnValues: "UPDATED_NEW",
    });
    expect(ours.body).toBe(theirs.body);
    for (const header of ["x-amz-target", "content-type", "content-length", "host", "x-amz-security-token"]) expect(ours.headers[header]).toBe(theirs.headers[header]);
    expect([ours.method, ours.path]).toEqual([theirs.method, theirs.path]);
    expect(ours.headers.authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\\d{8}/${region}/dynamodb/aws4_request, `));
    const check = { service: "dynamodb", region, credentials };
    expect(await signatureMatches(theirs, check)).toBe(true);
    expect(await signatureMatches(ours, check)).toBe(true);
    expect(await signatureMatches({ ...ours, body: ours.body.replace("alice", "alicE") }, check)).toBe(false);
  });

  it("resolves to the count DynamoDB answers", async () => {
    answers = [{ status: 200, body: counted(41) }];
    expect(await newCounter()("alice", window, 1)).toBe(41);
  });

  it("retries throttling and server errors as the SDK does, then counts once", async () => {
    answers = [
      { status: 400, body: '{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"Rate of requests exceeds the allowed throughput."}' },
      { status: 500, body: '{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"Internal server error"}' },
      { status: 200, body: counted(2) },
    ];
    expect(await newCounter()("alice", window, 1)).toBe(2);
    expect(received).toHaveLength(3);
    expect(new Set(received.map((request) => request.body)).size).toBe(1);
  });

  it("throws other answers as errors named like the SDK's exceptions, without retrying them", async () => {
    answers = [
      { status: 400, body: '{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"}' },
      { status: 400, errorType: "AccessDeniedException", body: '{"Message":"not authorized to perform dynamodb:UpdateItem"}' },
    ];
    const count = newCounter();
    const error = await count("alice", window, 1).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(AwsApiError);
    expect(error).toMatchObject({ name: "ResourceNotFoundException", message: "Requested resource not found", $metadata: { httpStatusCode: 400 } });
    await expect(count("alice", window, 1)).rejects.toMatchObject({ name: "AccessDeniedException", message: "not authorized to perform dynamodb:UpdateItem" });
    expect(received).toHaveLength(2);
  });

  it("gives up after the client's maxAttempts", async () => {
    answers = Array.from({ length: 4 }, () => ({ status: 503, body: '{"__type":"com.amazon.coral.availability#ServiceUnavailableException","message":"try later"}' }));
    await expect(newCounter(2)("alice", window, 1)).rejects.toMatchObject({ name: "ServiceUnavailableException" });
    expect(received).toHaveLength(2);
  });

  it("refuses an answer without a count rather than admit on it", async () => {
    answers = [{ status: 200, body: "{}" }];
    await expect(newCounter()("alice", window, 1)).rejects.toThrow(/without a count/);
  });
});
