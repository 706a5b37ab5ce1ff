/** `sendtouser`: deliver `data` to every connection of one Cognito user. */
import { dispatch, firstPage, logFields } from "../core/delivery.js";
import { parseSendToUser } from "../core/requests.js";
import type { WebSocketEvent } from "./shared/events.js";
import { logger } from "./shared/logger.js";
import { messageRoute } from "./shared/message-route.js";
import { deliveryDependencies } from "./shared/messaging.js";

export const handler = messageRoute(
  async (_event, _reply, { userId, data, first }) => {
    logger.info("sent to user", { recipientUserId: userId, ...logFields(await dispatch({ kind: "user", userId }, data, deliveryDependencies, first)) });
  },
  // The first page of the user's connections is read while the frame is counted.
  {
    read: async (event: WebSocketEvent) => {
      const { userId, data } = parseSendToUser(event.body);
      return { userId, data, first: await firstPage({ kind: "user", userId }, deliveryDependencies) };
    },
  },
);
