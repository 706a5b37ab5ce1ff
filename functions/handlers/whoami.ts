/** `whoami`: tell the sender its connection id and Cognito identity. */
import { messageRoute } from "./shared/message-route.js";
import { senderOf } from "./shared/sender.js";

export const handler = messageRoute(async (event) => {
  const { connectionId, userId, username } = senderOf(event);
  return JSON.stringify({ connectionId, userId, username });
});
