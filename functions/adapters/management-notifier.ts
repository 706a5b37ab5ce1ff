/** Notifier on the API Gateway management API (`@connections`). */
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { Notifier } from "../core/ports.js";

export interface ManagementNotifierOptions {
  /** `https://{apiId}.execute-api.{region}.amazonaws.com/{stage}`. */
  readonly endpoint: string;
  /** Sockets kept open to the endpoint: as many as posts in flight, no more. */
  readonly maxSockets: number;
  /** From AWS_REGION and the default credential chain when unset, as in Lambda. */
  readonly region?: string;
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
}

export function createManagementClient({ endpoint, maxSockets, ...identity }: ManagementNotifierOptions): ApiGatewayManagementApiClient {
  const agent = { keepAlive: true, maxSockets };
  return new ApiGatewayManagementApiClient({
    ...identity,
    endpoint,
    // Resolve each command's middleware stack once, not per post: a broadcast is CPU-bound on the
    // SDK (about 1 ms per post), and this took ~10% off it (BENCHMARKS.md).
    cacheMiddleware: true,
    requestHandler: { httpAgent: new HttpAgent(agent), httpsAgent: new HttpsAgent(agent) },
  });
}

export function createManagementNotifier(client: ApiGatewayManagementApiClient): Notifier {
  // 410 GoneException is an answer, not a failure: the connection no longer exists.
  const call = async (command: PostToConnectionCommand | DeleteConnectionCommand) => {
    try {
      await client.send(command as PostToConnectionCommand);
      return "delivered" as const;
    } catch (error) {
      if (error instanceof GoneException) return "gone" as const;
      throw error;
    }
  };
  return {
    send: (connectionId, data) => call(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data })),
    close: (connectionId) => call(new DeleteConnectionCommand({ ConnectionId: connectionId })),
  };
}
