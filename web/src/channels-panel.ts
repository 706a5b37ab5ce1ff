/**
 * The channels panel: DOM wiring only; the state and the frames are the Channels' (channels.ts).
 * One channel is shown at a time; text from the network is only ever set as textContent.
 */
import type { ChannelMessage, Channels, ChannelView } from "./channels.js";
import { elements, hide, show, timeElement } from "./dom.js";
import { FrameError, type Member } from "./protocol.js";

export interface ChannelsPanelOptions {
  readonly channels: Channels;
  /** Sends a frame; false when not connected (a subscribe is then sent by the next resubscribe). */
  readonly send: (frame: string) => boolean;
  /** The signed-in user's sub, to mark their own entries. */
  readonly self: () => string | undefined;
}

export interface ChannelsPanel {
  /** Shows the channels' present state. */
  render(): void;
  /** Publishing needs an open connection; joining does not (it subscribes once connected). */
  setConnected(open: boolean): void;
}

const statusWords = { joining: "joining…", joined: "", refused: "not joined" } as const;

/** The time of day of an ISO-8601 `sentAt`; as it came when it is not a date. */
function sentTime(sentAt: string): HTMLTimeElement {
  const date = new Date(sentAt);
  if (!Number.isNaN(date.getTime())) return timeElement(date);
  const time = document.createElement("time");
  time.textContent = sentAt;
  return time;
}

function span(className: string, text: string): HTMLSpanElement {
  const element = document.createElement("span");
  element.className = className;
  element.textContent = text;
  return element;
}

export function mountChannelsPanel({ channels, send, self }: ChannelsPanelOptions): ChannelsPanel {
  const ui = {
    ...elements({ view: "channel-view", title: "channel-title", status: "channel-status", notice: "channel-notice", error: "channel-error" }),
    ...elements({ joinError: "channel-join-error", memberCount: "channel-member-count", publishLabel: "channel-message-label", publishError: "channel-publish-error" }),
    ...elements("form", { joinForm: "channel-join-form", publishForm: "channel-publish-form" }),
    ...elements("input", { name: "channel-name", message: "channel-message" }),
    ...elements("button", { leave: "channel-leave", publish: "channel-publish" }),
    ...elements("ul", { list: "channel-list", members: "channel-members" }),
    ...elements("ol", { messages: "channel-messages" }),
  };
  let active: string | undefined;
  let shown: string | undefined;
  let connected = false;

  const render = () => {
    if (active === undefined || !channels.get(active)) active = channels.list[0]?.name;
    ui.list.replaceChildren(...channels.list.map(listItem));
    const channel = active === undefined ? undefined : channels.get(active);
    if (!channel) {
      hide(ui.view);
      shown = undefined;
      return;
    }
    show(ui.view);
    ui.view.dataset.channel = channel.name;
    ui.view.dataset.status = channel.status;
    ui.title.textContent = channel.name;
    ui.status.textContent = statusWords[channel.status];
    ui.notice.hidden = !channel.unrecovered;
    if (channel.error) show(ui.error, channel.error);
    else hide(ui.error);
    ui.memberCount.textContent = String(channel.members.length);
    ui.members.replaceChildren(...channel.members.map(memberItem));
    renderMessages(channel, shown !== channel.name);
    if (shown !== channel.name) hide(ui.publishError);
    shown = channel.name;
    ui.publishLabel.textContent = `Publish to ${channel.name}`;
    ui.publish.disabled = !connected || channel.status === "refused";
  };

  const listItem = (channel: ChannelView): HTMLLIElement => {
    const item = document.createElement("li");
    item.dataset.channel = channel.name;
    item.dataset.status = channel.status;
    if (channel.unrecovered) item.dataset.notice = "unrecovered";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.setAttribute("aria-pressed", String(channel.name === active));
    button.textContent = channel.name;
    button.append(span("count", channel.status === "joined" ? String(channel.members.length) : statusWords[channel.status]));
    item.append(button);
    return item;
  };

  const memberItem = (member: Member): HTMLLIElement => {
    const item = document.createElement("li");
    item.dataset.userId = member.userId;
    if (member.userId === self()) item.dataset.self = "";
    item.textContent = member.username || member.userId;
    return item;
  };

  const messageItem = (message: ChannelMessage): HTMLLIElement => {
    const item = document.createElement("li");
    item.dataset.seq = String(message.seq);
    item.dataset.from = message.from?.userId ?? "server";
    if (message.from && message.from.userId === self()) item.dataset.self = "";
    item.append(sentTime(message.sentAt), span("from", message.from ? message.from.username || message.from.userId : "server"), span("text", message.text));
    return item;
  };

  const pendingItem = (text: string): HTMLLIElement => {
    const item = document.createElement("li");
    item.className = "pending";
    item.append(document.createElement("time"), span("from", "sending…"), span("text", text));
    return item;
  };

  /** Keeps the list scrolled to the newest message unless the reader scrolled up. */
  const renderMessages = (channel: ChannelView, switched: boolean) => {
    const list = ui.messages;
    const atEnd = switched || list.scrollHeight - list.scrollTop - list.clientHeight < 24;
    list.replaceChildren(...channel.messages.map(messageItem), ...channel.sending.map(pendingItem));
    if (atEnd) list.scrollTop = list.scrollHeight;
  };

  ui.joinForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const name = ui.name.value.trim();
    let frame: string | undefined;
    try {
      frame = channels.join(name);
    } catch (error) {
      show(ui.joinError, error instanceof FrameError ? error.message : String(error));
      return;
    }
    hide(ui.joinError);
    if (frame) send(frame);
    active = name;
    render();
  });

  ui.list.addEventListener("click", (event) => {
    const item = (event.target as Element).closest<HTMLLIElement>("li[data-channel]");
    if (!item) return;
    active = item.dataset.channel;
    render();
    ui.message.focus();
  });

  ui.leave.addEventListener("click", () => {
    if (active === undefined) return;
    const frame = channels.leave(active);
    if (frame) send(frame);
    render();
  });

  ui.publishForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (active === undefined) return;
    if (!connected) {
      show(ui.publishError, "Not connected.");
      return;
    }
    let frame: string;
    try {
      frame = channels.publish(active, ui.message.value);
    } catch (error) {
      show(ui.publishError, error instanceof FrameError ? error.message : String(error));
      return;
    }
    hide(ui.publishError);
    send(frame);
    ui.message.value = "";
    ui.message.focus();
    render();
  });

  return {
    render,
    setConnected(open) {
      connected = open;
      render();
    },
  };
}
