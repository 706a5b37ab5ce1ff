/** `subscribe`: join a channel; with `since`, first replay what the sender missed. */
import { parseSubscribe } from "../core/channel-frames.js";
import { subscribe } from "../core/channels.js";
import { messageRoute } from "./shared/message-route.js";
import { channelDependencies } from "./shared/messaging.js";
import { senderOf } from "./shared/sender.js";

export const handler = messageRoute((event, reply) => subscribe(parseSubscribe(event.body), senderOf(event), reply, channelDependencies), { echo: true });
