/** `sendmessage`: broadcast `data` to every open connection, the sender's included. */
import { fanOut } from "../core/fan-out.js";
import { readAhead } from "../core/read-ahead.js";
import { parseSendMessage } from "../core/requests.js";
import type { WebSocketEvent } from "./shared/events.js";
import { logger } from "./shared/logger.js";
import { messageRoute } from "./shared/message-route.js";
import { fanOutDependencies, store } from "./shared/messaging.js";

export const handler = messageRoute(
  async (_event, _reply, { data, recipients }) => {
    const report = await fanOut(recipients, data, fanOutDependencies);
    logger.info("broadcast", { ...report });
  },
  // The scan of the connections starts while the frame is counted.
  { read: async (event: WebSocketEvent) => ({ data: parseSendMessage(event.body).data, recipients: readAhead(store.allConnectionIds()) }) },
);
