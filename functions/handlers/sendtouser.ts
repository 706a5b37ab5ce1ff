/** `sendtouser`: deliver `data` to every connection of one Cognito user. */
import { fanOut } from "../core/fan-out.js";
import { parseSendToUser } from "../core/requests.js";
import { logger } from "./shared/logger.js";
import { messageRoute } from "./shared/message-route.js";
import { fanOutDependencies, store } from "./shared/messaging.js";

export const handler = messageRoute(async (event) => {
  const { userId, data } = parseSendToUser(event.body);
  const report = await fanOut(store.connectionIdsOfUser(userId), data, fanOutDependencies);
  logger.info("sent to user", { recipientUserId: userId, ...report });
});
