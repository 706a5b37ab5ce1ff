/** `$default`: echo the frame back to its sender, unchanged. */
import { messageRoute } from "./shared/message-route.js";

export const handler = messageRoute(async (event) => event.body ?? "");
