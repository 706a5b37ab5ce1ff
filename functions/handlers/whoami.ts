/** `whoami`: tell the sender its connection id and Cognito identity. */
import { fromAuthorizerContext } from "../core/claims.js";
import { messageRoute } from "./shared/message-route.js";

export const handler = messageRoute(async ({ requestContext }) => {
  const identity = fromAuthorizerContext(requestContext.authorizer);
  if (!identity) throw new Error("no authorizer identity on this connection");
  return JSON.stringify({ connectionId: requestContext.connectionId, userId: identity.userId, username: identity.username });
});
