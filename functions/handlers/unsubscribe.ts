/** `unsubscribe`: leave a channel (answered also when not subscribed). */
import { parseChannelRequest } from "../core/channel-frames.js";
import { unsubscribe } from "../core/channels.js";
import { messageRoute } from "./shared/message-route.js";
import { channelDependencies } from "./shared/messaging.js";
import { senderOf } from "./shared/sender.js";

export const handler = messageRoute((event, reply) => unsubscribe(parseChannelRequest(event.body), senderOf(event), reply, channelDependencies), { echo: true });
