/**
 * TaskQueue on Lambda's asynchronous invocation: `Invoke` with `X-Amz-Invocation-Type: Event`.
 * Lambda queues the event, answers 202, and retries the function when it fails (twice, as its
 * asynchronous invocation config says). Signed from the SDK's parts, as the notifier is: one small
 * request, many times over. `AWS_ENDPOINT_URL_LAMBDA` (the SDK's variable) points it at the local stack.
 */
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import type { TaskQueue } from "../core/ports.js";
import { createSignedHttp } from "./signed-http.js";

export interface LambdaTaskQueueOptions {
  readonly functionName: string;
  readonly region: string;
  /** @default AWS_ENDPOINT_URL_LAMBDA, else Lambda's regional endpoint */
  readonly endpoint?: string;
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

/** Lambda's limit on an asynchronous invocation's payload (256 KB), kept whatever newer quotas allow. */
export const asyncPayloadLimitBytes = 256 * 1024;

export class TaskNotQueued extends Error {
  override readonly name: string;
  constructor(type: string, statusCode: number, message: string) {
    super(`Lambda refused the task (${statusCode}): ${message}`);
    this.name = type;
  }
}

export function createLambdaTaskQueue({ functionName, region, endpoint = process.env.AWS_ENDPOINT_URL_LAMBDA, credentials }: LambdaTaskQueueOptions): TaskQueue & { destroy(): void } {
  const base = new URL(endpoint ?? `https://lambda.${region}.amazonaws.com`);
  // Bounded: the route that queues a fan-out delivers it itself rather than wait long for Lambda.
  const http = createSignedHttp({ service: "lambda", region, maxSockets: 10, requestTimeoutMs: 5000, ...(credentials ? { credentials } : {}) });
  const url = new URL(base);
  url.pathname = `/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`;
  return {
    maxTaskBytes: asyncPayloadLimitBytes,
    async enqueue(task) {
      const response = await http.send("POST", url, JSON.stringify(task), { "content-type": "application/json", "x-amz-invocation-type": "Event" });
      if (response.statusCode === 202) return;
      const type = response.headers["x-amzn-errortype"]?.split(":")[0] || `HTTP${response.statusCode}`;
      throw new TaskNotQueued(type, response.statusCode, response.body.slice(0, 200));
    },
    destroy: () => http.destroy(),
  };
}
