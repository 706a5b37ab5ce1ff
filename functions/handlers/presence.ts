/** `presence`: the distinct users subscribed to a channel. */
import { parseChannelRequest } from "../core/channel-frames.js";
import { presence } from "../core/channels.js";
import { messageRoute } from "./shared/message-route.js";
import { channelDependencies } from "./shared/messaging.js";
import { senderOf } from "./shared/sender.js";

export const handler = messageRoute((event, reply) => presence(parseChannelRequest(event.body), senderOf(event), reply, channelDependencies), { echo: true });
