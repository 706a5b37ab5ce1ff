/** `sendtouser`: deliver `data` to every connection of one Cognito user. */
import { dispatch, logFields } from "../core/delivery.js";
import { parseSendToUser } from "../core/requests.js";
import { logger } from "./shared/logger.js";
import { messageRoute } from "./shared/message-route.js";
import { deliveryDependencies } from "./shared/messaging.js";

export const handler = messageRoute(async (event) => {
  const { userId, data } = parseSendToUser(event.body);
  logger.info("sent to user", { recipientUserId: userId, ...logFields(await dispatch({ kind: "user", userId }, data, deliveryDependencies)) });
});
