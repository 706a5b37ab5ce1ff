/** Notifier on the API Gateway management API (`@connections`). */
import {
  ApiGatewayManagementApiClient,
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
    requestHandler: { httpAgent: new HttpAgent(agent), httpsAgent: new HttpsAgent(agent) },
  });
}

export function createManagementNotifier(client: ApiGatewayManagementApiClient): Notifier {
  return {
    async send(connectionId, data) {
      try {
        await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
        return "delivered";
      } catch (error) {
        if (error instanceof GoneException) return "gone";
        throw error;
      }
    },
  };
}
