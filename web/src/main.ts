/**
 * The page: DOM wiring only. Every decision (tokens, reconnects, frames) lives in the pure modules
 * beside this one. Text from the network is only ever set as textContent, never as HTML.
 */
import { mountAuthPanel } from "./auth-panel.js";
import { createCognitoApi, describeCognitoError } from "./cognito.js";
import { parseWebClientConfig, type WebClientConfig } from "./config.js";
import { Channels } from "./channels.js";
import { mountChannelsPanel } from "./channels-panel.js";
import { Connection, type ConnectionState, type SocketFactory } from "./connection.js";
import { elements, hide, show, timeElement } from "./dom.js";
import { classify, describeError, frameFor, FrameError, type Outgoing } from "./protocol.js";
import { Session } from "./session.js";

/** The application subprotocol `$connect` selects; the ID token is offered after it. */
const applicationProtocol = "json";
const maxLogEntries = 200;

const ui = {
  ...elements({ fatal: "fatal", environment: "environment", connection: "connection", connectionText: "connection-text", appPanel: "app-panel" }),
  ...elements({ userEmail: "user-email", userSub: "user-sub", connectionId: "connection-id", sendError: "send-error" }),
  ...elements("button", { retry: "retry", signOut: "sign-out", clearLog: "clear-log" }),
  ...elements("form", { sendForm: "send-form" }),
  ...elements("input", { message: "message", targetUser: "target-user" }),
  ...elements("ol", { log: "log" }),
};

type LogKind = "out" | "in" | "system" | "error";

function log(kind: LogKind, tag: string, text: string): void {
  const entry = document.createElement("li");
  entry.className = kind;
  const time = timeElement(new Date());
  const label = document.createElement("span");
  label.className = "tag";
  label.textContent = kind === "out" ? `→ ${tag}` : kind === "in" ? `← ${tag}` : tag;
  const body = document.createElement("span");
  body.className = "text";
  body.textContent = text;
  entry.append(time, label, body);
  ui.log.append(entry);
  while (ui.log.childElementCount > maxLogEntries) ui.log.firstElementChild?.remove();
  ui.log.scrollTop = ui.log.scrollHeight;
}

const browserSocket: SocketFactory = (url, protocols, handlers) => {
  const socket = new WebSocket(url, protocols);
  socket.onopen = () => handlers.open(socket.protocol);
  socket.onmessage = (event: MessageEvent) => handlers.message(typeof event.data === "string" ? event.data : "[a binary frame]");
  socket.onclose = (event: CloseEvent) => handlers.close({ code: event.code, reason: event.reason });
  return { send: (data) => socket.send(data), close: (code, reason) => socket.close(code, reason) };
};

function renderState(state: ConnectionState): void {
  ui.connection.dataset.status = state.status;
  const text = ((): string => {
    switch (state.status) {
      case "idle":
        return "Not connected";
      case "refreshing":
        return "Renewing the sign-in…";
      case "connecting":
        return state.attempt === 0 ? "Connecting…" : `Reconnecting (attempt ${state.attempt + 1})…`;
      case "open":
        return "Connected";
      case "waiting":
        return `Reconnecting in ${Math.ceil(state.delayMs / 1000)} s`;
      case "failed":
        return "Disconnected";
    }
  })();
  ui.connectionText.textContent = text;
  ui.retry.hidden = !(state.status === "waiting" || (state.status === "failed" && !state.signInAgain));
  ui.sendForm.querySelectorAll("button").forEach((button) => (button.disabled = state.status !== "open"));
}

async function loadConfig(): Promise<WebClientConfig> {
  const response = await fetch("config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  return parseWebClientConfig(await response.json());
}

async function main(): Promise<void> {
  let config: WebClientConfig;
  try {
    config = await loadConfig();
  } catch (error) {
    show(ui.fatal, `This page cannot start: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  if (config.environment === "local") show(ui.environment, "local stack · development tokens");

  const cognito = createCognitoApi({ endpoint: config.cognitoEndpoint, clientId: config.userPoolClientId, fetch: (input, init) => fetch(input, init) });
  const session = new Session({ cognito, storage: window.sessionStorage, storageKey: `websocket-cognito:${config.userPoolClientId}` });

  const channels = new Channels();
  let lastStatus: ConnectionState["status"] = "idle";
  const connection = new Connection({
    url: config.webSocketUrl,
    protocol: applicationProtocol,
    tokens: session,
    createSocket: browserSocket,
    onState: (state) => {
      renderState(state);
      if (state.status === "open") {
        log("system", "connected", `${config.webSocketUrl} (protocol ${state.protocol})`);
        connection.send(frameFor({ kind: "whoami" }));
        // Subscriptions end with their connection: a new one resumes every channel after what it has.
        for (const frame of channels.resubscribe()) connection.send(frame);
      } else if (state.status === "waiting") {
        log("system", "retry", `${state.reason}; retrying in ${(state.delayMs / 1000).toFixed(1)} s`);
      } else if (state.status === "failed") {
        log("error", "stopped", state.reason);
        if (state.signInAgain) void endSession(state.reason);
      } else if (state.status === "idle" && lastStatus !== "idle") {
        log("system", "closed", "the connection is closed");
      }
      if (state.status !== "open") ui.connectionId.textContent = "—";
      lastStatus = state.status;
      channelsPanel.setConnected(state.status === "open");
    },
    onNotice: (text) => log("system", "connection", text),
    onMessage: (data) => {
      const incoming = classify(data);
      switch (incoming.kind) {
        case "identity":
          ui.connectionId.textContent = incoming.connectionId;
          log("in", "whoami", `connection ${incoming.connectionId}, user ${incoming.userId}`);
          break;
        case "error":
          if (channels.handleError(incoming)) {
            channelsPanel.render();
            break;
          }
          log("error", incoming.code, describeError(incoming));
          // Channel requests carry an id; a rate-limited frame without one came from the send form.
          if (incoming.code === "TooManyRequests") show(ui.sendError, `Not sent: ${describeError(incoming)}.`);
          break;
        case "channel":
          for (const frame of channels.handle(incoming.frame)) connection.send(frame);
          channelsPanel.render();
          break;
        case "reconnect":
          log("system", "reconnect", `the server closes this connection at ${incoming.closeAt} (${incoming.reason}); the page hands over to a new one and resumes its channels there`);
          connection.handover();
          break;
        case "echo":
          log("in", "echo", incoming.text);
          break;
        case "text":
          log("in", "received", incoming.text);
          break;
      }
    },
  });

  const channelsPanel = mountChannelsPanel({ channels, send: (frame) => connection.send(frame), self: () => session.user?.sub });

  const authPanel = mountAuthPanel({
    config,
    cognito,
    signIn: (email, password) => session.signIn(email, password),
    onSignedIn: () => showApp(),
    fetch: (input, init) => fetch(input, init),
  });

  const showSignIn = (message?: string) => {
    hide(ui.appPanel);
    authPanel.show(message);
  };

  const showApp = () => {
    const user = session.user;
    ui.userEmail.textContent = user?.email ?? "";
    ui.userSub.textContent = user?.sub ?? "";
    if (!ui.targetUser.value && user) ui.targetUser.value = user.sub;
    authPanel.hide();
    show(ui.appPanel);
    connection.start();
  };

  const endSession = async (message?: string) => {
    connection.stop("signed out");
    channels.clear();
    channelsPanel.render();
    await session.signOut();
    showSignIn(message);
  };

  ui.signOut.addEventListener("click", () => void endSession());
  ui.retry.addEventListener("click", () => (connection.state.status === "waiting" ? connection.retryNow() : connection.start()));
  ui.clearLog.addEventListener("click", () => ui.log.replaceChildren());
  window.addEventListener("online", () => connection.retryNow());

  ui.sendForm.addEventListener("submit", (event: SubmitEvent) => {
    event.preventDefault();
    const kind = (event.submitter as HTMLButtonElement | null)?.dataset.kind ?? "echo";
    const text = ui.message.value;
    const request: Outgoing =
      kind === "broadcast" ? { kind: "broadcast", text } : kind === "sendtouser" ? { kind: "sendtouser", userId: ui.targetUser.value, text } : { kind: "echo", text };
    let frame: string;
    try {
      frame = frameFor(request);
    } catch (error) {
      show(ui.sendError, error instanceof FrameError ? error.message : String(error));
      return;
    }
    hide(ui.sendError);
    if (!connection.send(frame)) {
      show(ui.sendError, "Not connected.");
      return;
    }
    const tag = request.kind === "sendtouser" ? `to ${request.userId.trim().slice(0, 8)}…` : request.kind;
    log("out", tag, text);
    ui.message.value = "";
    ui.message.focus();
  });

  renderState(connection.state);
  try {
    if (await session.restore()) {
      showApp();
      return;
    }
  } catch (error) {
    showSignIn(describeCognitoError(error, "refresh"));
    return;
  }
  showSignIn();
}

void main();
