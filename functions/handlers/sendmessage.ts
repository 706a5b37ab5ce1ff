/** `sendmessage`: broadcast `data` to every open connection, the sender's included. */
import { fanOut } from "../core/fan-out.js";
import { parseSendMessage } from "../core/requests.js";
import { logger } from "./shared/logger.js";
import { messageRoute } from "./shared/message-route.js";
import { fanOutDependencies, store } from "./shared/messaging.js";

export const handler = messageRoute(async (event) => {
  const { data } = parseSendMessage(event.body);
  const report = await fanOut(store.allConnectionIds(), data, fanOutDependencies);
  logger.info("broadcast", { ...report });
});
