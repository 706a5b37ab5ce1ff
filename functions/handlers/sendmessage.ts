/** `sendmessage`: broadcast `data` to every open connection, the sender's included. */
import { dispatch, logFields } from "../core/delivery.js";
import { parseSendMessage } from "../core/requests.js";
import { logger } from "./shared/logger.js";
import { messageRoute } from "./shared/message-route.js";
import { deliveryDependencies } from "./shared/messaging.js";

export const handler = messageRoute(async (event) => {
  const { data } = parseSendMessage(event.body);
  logger.info("broadcast", logFields(await dispatch({ kind: "everyone" }, data, deliveryDependencies)));
});
