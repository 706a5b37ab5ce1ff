/** `sendtouser`: deliver `data` to every connection of one Cognito user. */
import { fanOut } from "../core/fan-out.js";
import { readAhead } from "../core/read-ahead.js";
import { parseSendToUser } from "../core/requests.js";
import type { WebSocketEvent } from "./shared/events.js";
import { logger } from "./shared/logger.js";
import { messageRoute } from "./shared/message-route.js";
import { fanOutDependencies, store } from "./shared/messaging.js";

export const handler = messageRoute(
  async (_event, _reply, { userId, data, recipients }) => {
    const report = await fanOut(recipients, data, fanOutDependencies);
    logger.info("sent to user", { recipientUserId: userId, ...report });
  },
  // The query of the user's connections starts while the frame is counted.
  {
    read: async (event: WebSocketEvent) => {
      const { userId, data } = parseSendToUser(event.body);
      return { userId, data, recipients: readAhead(store.connectionIdsOfUser(userId)) };
    },
  },
);
