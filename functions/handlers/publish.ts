/** `publish`: store a message with the channel's next seq, acknowledge it, deliver it to the subscribers. */
import { parsePublish } from "../core/channel-frames.js";
import { publish } from "../core/channels.js";
import { logFields } from "../core/delivery.js";
import { logger } from "./shared/logger.js";
import { messageRoute } from "./shared/message-route.js";
import { channelDependencies } from "./shared/messaging.js";
import { senderOf } from "./shared/sender.js";

export const handler = messageRoute(
  async (event, reply) => {
    const request = parsePublish(event.body);
    const { seq, delivery } = await publish(request, senderOf(event), reply, channelDependencies);
    logger.info("published", { channel: request.channel, seq, ...logFields(delivery) });
  },
  { echo: true },
);
