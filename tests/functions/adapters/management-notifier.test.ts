/**
 * The management notifier against a recording `@connections` endpoint on 127.0.0.1: what it puts on
 * the wire (the SDK's request, SigV4-signed so that a server-side check accepts it), how it reads
 * the answers, and the SDK's retry rules.
 */
import { ApiGatewayManagementApiClient, DeleteConnectionCommand, PostToConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { AwsApiError } from "../../../functions/adapters/errors.js";
import { createManagementNotifier, type ManagementNotifier } from "../../../functions/adapters/management-notifier.js";
import { signatureMatches as signedFor, startRecordingEndpoint, type Answer, type Received } from "../../support/recording-endpoint.js";

const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "session-token" };
const region = "eu-west-1";
// API Gateway ids are base64: `+`, `/` and `=` must survive the path.
const connectionId = "L0S+M9/cOCI=";

let received: Received[] = [];
/** Answers for the next requests, in order; then 200. */
let answers: Answer[] = [];
let endpoint: string;
let peakInFlight: () => number;
let close: () => Promise<void>;
let notifier: ManagementNotifier | undefined;

beforeAll(async () => {
  const server = await startRecordingEndpoint((request) => {
    received.push(request);
    return answers.shift();
  });
  endpoint = `${server.origin}/dev`;
  peakInFlight = server.peakInFlight;
  close = server.close;
});

afterAll(() => close());

afterEach(() => {
  vi.unstubAllEnvs();
  notifier?.destroy();
  notifier = undefined;
  received = [];
  answers = [];
});

const newNotifier = (options: Partial<Parameters<typeof createManagementNotifier>[0]> = {}) =>
  (notifier = createManagementNotifier({ endpoint, maxSockets: 4, region, credentials, ...options }));

/** The check API Gateway makes. */
const signatureMatches = (request: Received) => signedFor(request, { service: "execute-api", region, credentials });

describe("the management notifier", () => {
  it("sends what the SDK sends, signed so that a SigV4 check accepts it as it accepts the SDK's", async () => {
    // Prepare
    const sdk = new ApiGatewayManagementApiClient({ endpoint, region, credentials });
    const ours = newNotifier();
    // Act
    await sdk.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: '{"text":"héllo"}' }));
    await sdk.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    sdk.destroy();
    await ours.send(connectionId, '{"text":"héllo"}');
    await ours.close(connectionId);
    // Assess
    const [sdkPost, sdkDelete, ourPost, ourDelete] = received as [Received, Received, Received, Received];
    for (const [mine, theirs] of [[ourPost, sdkPost], [ourDelete, sdkDelete]] as const) {
      expect(mine.method).toBe(theirs.method);
      expect(mine.path).toBe(theirs.path);
      expect(mine.body).toBe(theirs.body);
      expect(mine.headers["content-type"]).toBe(theirs.headers["content-type"]);
      expect(mine.headers["content-length"]).toBe(theirs.headers["content-length"]);
      expect(mine.headers["x-amz-security-token"]).toBe("session-token");
      expect(mine.headers.authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\\d{8}/${region}/execute-api/aws4_request, `));
      expect(await signatureMatches(theirs)).toBe(true);
      expect(await signatureMatches(mine)).toBe(true);
    }
    expect(ourPost.path).toBe("/dev/@connections/L0S%2BM9%2FcOCI%3D");
  });

  it("fails that check for a request changed after signing (the check is real)", async () => {
    await newNotifier().send(connectionId, "hello");
    const [post] = received as [Received];
    expect(await signatureMatches({ ...post, path: post.path.replace("L0S", "X0S") })).toBe(false);
    expect(await signatureMatches({ ...post, body: "hellO" })).toBe(false);
  });

  it("answers delivered for 2xx and gone for 410 GoneException, each in one request", async () => {
    answers = [{ status: 200 }, { status: 410, errorType: "GoneException", body: '{"message":null}' }, { status: 204 }];
    const ours = newNotifier();
    expect(await ours.send("a", "x")).toBe("delivered");
    expect(await ours.send("b", "x")).toBe("gone");
    expect(await ours.close("c")).toBe("delivered");
    expect(received).toHaveLength(3);
  });

  it("throws other answers as errors named like the SDK's exceptions, without retrying client errors", async () => {
    answers = [
      { status: 403, errorType: "ForbiddenException:http://internal.amazon.com/coral/", body: '{"message":"Forbidden"}' },
      { status: 413, errorType: "aws#PayloadTooLargeException", body: '{"message":"Request entity too large"}' },
      { status: 400, body: "not json" },
    ];
    // One socket: an answer not read to the end would keep it, and the next request would wait forever.
    const ours = newNotifier({ maxSockets: 1 });
    await expect(ours.send("a", "x")).rejects.toMatchObject({ name: "ForbiddenException", message: "Forbidden", $metadata: { httpStatusCode: 403 } });
    await expect(ours.send("a", "x")).rejects.toMatchObject({ name: "PayloadTooLargeException", message: "Request entity too large" });
    const error = await ours.send("a", "x").catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(AwsApiError);
    expect(error).toMatchObject({ name: "HTTP400", message: "the management API answered 400" });
    expect(await ours.send("a", "x")).toBe("delivered");
    expect(received).toHaveLength(4);
  });

  it("retries a dropped connection, as the SDK does", async () => {
    answers = [{ status: 0, reset: true }];
    expect(await newNotifier({ maxSockets: 1 }).send("a", "x")).toBe("delivered");
    expect(received).toHaveLength(2);
  });

  it("waits as long as a Retry-After header asks before retrying a lone request (GetConnection)", async () => {
    answers = [{ status: 429, errorType: "LimitExceededException", headers: { "Retry-After": "1" }, body: '{"message":"Rate exceeded"}' }];
    const started = Date.now();
    expect(await newNotifier().exists("a")).toBe(true);
    expect(received).toHaveLength(2);
    // Without the hint, the SDK's first throttling backoff is at most 500 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it("retries server errors as the SDK does, then delivers", async () => {
    answers = [
      { status: 500, errorType: "InternalServerErrorException", body: '{"message":"Internal server error"}' },
      { status: 503, errorType: "ServiceUnavailableException", body: '{"message":"try later"}' },
    ];
    expect(await newNotifier().send("a", "x")).toBe("delivered");
    expect(received).toHaveLength(3);
    expect(received.every((request) => request.path === "/dev/@connections/a" && request.body === "x")).toBe(true);
  });

  it("retries a throttled lone post (a reply) as the SDK does, then delivers", async () => {
    answers = [{ status: 429, errorType: "LimitExceededException", body: '{"message":"Rate exceeded"}' }];
    expect(await newNotifier().send("a", "x", { retryThrottling: true })).toBe("delivered");
    expect(received).toHaveLength(2);
  });

  it("answers a throttled post at once, for the fan-out to slow all its senders down and send it again", async () => {
    answers = [{ status: 429, errorType: "LimitExceededException", body: '{"message":"Rate exceeded"}' }];
    expect(await newNotifier().send("a", "x")).toBe("throttled");
    expect(received).toHaveLength(1);
  });

  it("sends frames in order, each once the one before it is answered, every one signed", async () => {
    // The first answers come late: a later frame posted before them would overtake them.
    answers = [{ status: 200, delayMs: 60 }, { status: 200, delayMs: 30 }];
    const frames = ["one", "two", "three", "four"];
    peakInFlight();
    expect(await newNotifier().sendInOrder(connectionId, frames)).toBe("delivered");
    expect(received.map((request) => request.body)).toEqual(frames);
    expect(peakInFlight()).toBe(1);
    for (const request of received) expect(await signatureMatches(request)).toBe(true);
  });

  it("stops a sequence at a gone connection: the frames after it are not posted", async () => {
    answers = [{ status: 200 }, { status: 410, errorType: "GoneException", body: '{"message":null}' }];
    expect(await newNotifier().sendInOrder(connectionId, ["one", "two", "three", "four"])).toBe("gone");
    expect(received.map((request) => request.body)).toEqual(["one", "two"]);
  });

  it("throws a failed frame of a sequence and posts none after it", async () => {
    answers = [{ status: 200 }, { status: 403, errorType: "ForbiddenException", body: '{"message":"Forbidden"}' }];
    await expect(newNotifier().sendInOrder(connectionId, ["one", "two", "three"])).rejects.toMatchObject({ name: "ForbiddenException" });
    // Given time, the third (signed ahead) would show here had it been sent.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(received.map((request) => request.body)).toEqual(["one", "two"]);
  });

  it("retries a frame of a sequence as a single post is retried, signed again, and keeps the order", async () => {
    answers = [{ status: 200 }, { status: 500, errorType: "InternalServerErrorException", body: '{"message":"Internal server error"}' }];
    expect(await newNotifier().sendInOrder(connectionId, ["one", "two", "three"])).toBe("delivered");
    expect(received.map((request) => request.body)).toEqual(["one", "two", "two", "three"]);
    for (const request of received) expect(await signatureMatches(request)).toBe(true);
  });

  it("a throttled frame of a reply's sequence is retried when asked, and the sequence goes on", async () => {
    answers = [{ status: 200 }, { status: 429, errorType: "LimitExceededException", body: '{"message":"Rate exceeded"}' }];
    expect(await newNotifier().sendInOrder(connectionId, ["one", "two", "three"], { retryThrottling: true })).toBe("delivered");
    expect(received.map((request) => request.body)).toEqual(["one", "two", "two", "three"]);
  });

  it("gives up after maxAttempts and throws the last answer", async () => {
    answers = Array.from({ length: 5 }, () => ({ status: 503, errorType: "ServiceUnavailableException", body: '{"message":"try later"}' }));
    await expect(newNotifier({ maxAttempts: 2 }).send("a", "x")).rejects.toMatchObject({ name: "ServiceUnavailableException", message: "try later" });
    expect(received).toHaveLength(2);
  });

  it("signs with the credentials of the environment by default, as in Lambda", async () => {
    for (const [name, value] of Object.entries({ AWS_ACCESS_KEY_ID: "AKIDFROMENV", AWS_SECRET_ACCESS_KEY: "secret", AWS_SESSION_TOKEN: "env-session", AWS_REGION: "ap-south-1" })) {
      vi.stubEnv(name, value);
    }
    await newNotifier({ region: undefined, credentials: undefined }).send("a", "x");
    const [post] = received as [Received];
    expect(post.headers.authorization).toMatch(/Credential=AKIDFROMENV\/\d{8}\/ap-south-1\/execute-api\/aws4_request/);
    expect(post.headers["x-amz-security-token"]).toBe("env-session");
  });

  it("refuses to start without a region, naming AWS_REGION", () => {
    vi.stubEnv("AWS_REGION", undefined);
    expect(() => createManagementNotifier({ endpoint, maxSockets: 1, credentials })).toThrow(/`region` or set AWS_REGION/);
  });
});
