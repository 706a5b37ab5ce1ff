/** `sendmessage`: broadcast `data` to every open connection, the sender's included. */
import { dispatch, firstPage, logFields } from "../core/delivery.js";
import type { Audience } from "../core/ports.js";
import { parseSendMessage } from "../core/requests.js";
import type { WebSocketEvent } from "./shared/events.js";
import { logger } from "./shared/logger.js";
import { messageRoute } from "./shared/message-route.js";
import { deliveryDependencies } from "./shared/messaging.js";

const everyone: Audience = { kind: "everyone" };

export const handler = messageRoute(
  async (_event, _reply, { data, first }) => {
    logger.info("broadcast", logFields(await dispatch(everyone, data, deliveryDependencies, first)));
  },
  // The first page of connections is read while the frame is counted.
  { read: async (event: WebSocketEvent) => ({ data: parseSendMessage(event.body).data, first: await firstPage(everyone, deliveryDependencies) }) },
);
