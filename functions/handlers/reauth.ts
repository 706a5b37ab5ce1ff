/** `reauth`: a fresh token on an open connection, verified as at `$connect`; the token is never logged. */
import { decide } from "../core/authorize.js";
import { parseFrameObject } from "../core/requests.js";
import { reauthenticate, reauthenticatedFrame } from "../core/reauth.js";
import { requestIdOf } from "../core/channel-frames.js";
import { logger } from "./shared/logger.js";
import { messageRoute } from "./shared/message-route.js";
import { store } from "./shared/messaging.js";
import { senderOf } from "./shared/sender.js";
import { verification } from "./shared/verification.js";

const dependencies = { decide: (token: unknown) => decide(token, verification), store };

export const handler = messageRoute(
  async (event) => {
    const frame = parseFrameObject(event.body);
    const id = requestIdOf(frame);
    const { token } = frame;
    const expiresAt = await reauthenticate({ token, ...(id === undefined ? {} : { id }) }, senderOf(event), dependencies);
    logger.info("reauthenticated", { expiresAt });
    return reauthenticatedFrame(id, expiresAt);
  },
  { echo: true },
);
