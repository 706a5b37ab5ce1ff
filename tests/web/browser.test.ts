/// <reference lib="dom" />
// page.evaluate() callbacks run in the browser: they use its globals.
/**
 * The web client in a real browser (Debian's chromium, headless, driven by playwright-core) against
 * the real local stack: the page served by the local web server, cognito-local, the gateway
 * emulator and the function bundles. Screenshots of the working page: test-results/web-client.png
 * (messages) and test-results/web-client-channels.png (a channel in use, the README's picture).
 */
import { ApiGatewayManagementApiClient, GetConnectionCommand, GoneException } from "@aws-sdk/client-apigatewaymanagementapi";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { request } from "../support/channel-frames.js";
import { signUp, startTestStack, type SignedInUser, type TestStack } from "../support/local-stack.js";
import { startTcpRelay } from "../support/tcp-relay.js";
import { TestClient } from "../support/ws-client.js";

const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const launchArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-quic",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
];
const screenshotFile = "test-results/web-client.png";
const channelsScreenshotFile = "test-results/web-client-channels.png";

let stack: TestStack;
let browser: Browser;
let pageUrl: string;
let alice: SignedInUser;
let bob: SignedInUser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  if (!existsSync(executablePath)) {
    throw new Error(`No browser at ${executablePath}: install Debian's chromium (apt-get install chromium; .ci/run does it) or set CHROMIUM_PATH`);
  }
  [stack, browser] = await Promise.all([startTestStack(), chromium.launch({ executablePath, args: launchArgs, headless: true, timeout: 30_000 })]);
  pageUrl = stack.outputs.webClientUrl!;
  [alice, bob] = await Promise.all([signUp(stack.outputs, "alice@example.com"), signUp(stack.outputs, "bob@example.com")]);
});

afterAll(async () => {
  await browser?.close();
  await stack?.destroy();
});

interface OpenedPage {
  readonly page: Page;
  /** Every URL the page requested or opened a WebSocket to. */
  readonly urls: string[];
  /** The ID tokens Cognito handed the page. */
  readonly idTokens: string[];
  readonly sockets: { url: string; closed: boolean }[];
  readonly consoleErrors: string[];
}

interface PageOptions {
  /** Point the page's config.json at another WebSocket endpoint (the page's CSP is bypassed for it). */
  readonly webSocketUrl?: string;
  /** Install Playwright's fake clock: timers run only when the test advances them. */
  readonly fakeClock?: boolean;
}

/** A fresh browser profile context (own sessionStorage) with one page on the web client. */
async function openPage(options: PageOptions = {}): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 760 }, bypassCSP: options.webSocketUrl !== undefined });
  contexts.push(context);
  const page = await context.newPage();
  if (options.fakeClock) await page.clock.install();
  if (options.webSocketUrl !== undefined) {
    const webSocketUrl = options.webSocketUrl;
    await page.route("**/config.json", async (route) => {
      const config = (await (await route.fetch()).json()) as Record<string, unknown>;
      await route.fulfill({ json: { ...config, webSocketUrl } });
    });
  }
  page.setDefaultTimeout(10_000);
  const urls: string[] = [];
  const sockets: { url: string; closed: boolean }[] = [];
  const consoleErrors: string[] = [];
  const idTokens: string[] = [];
  page.on("request", (request) => urls.push(request.url()));
  page.on("response", (response) => {
    if (response.url().startsWith(stack.outputs.cognitoEndpoint!) && response.request().method() === "POST") {
      void response.json().then((body: { AuthenticationResult?: { IdToken?: string } }) => {
        if (body.AuthenticationResult?.IdToken) idTokens.push(body.AuthenticationResult.IdToken);
      }, () => undefined);
    }
  });
  page.on("websocket", (socket) => {
    const entry = { url: socket.url(), closed: false };
    sockets.push(entry);
    urls.push(entry.url);
    socket.on("close", () => (entry.closed = true));
  });
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  await page.goto(pageUrl);
  await page.locator("#sign-in-form").waitFor();
  return { page, urls, idTokens, sockets, consoleErrors };
}

async function signInOnPage(page: Page, email: string, password = "Passw0rd!"): Promise<string> {
  await page.fill("#email", email);
  await page.fill("#password", password);
  await page.click("#sign-in");
  await page.locator('#connection[data-status="open"]').waitFor();
  // The page asks whoami as soon as it is connected.
  await expect.poll(() => page.textContent("#connection-id")).toMatch(/^[\w=-]{6,}$/);
  return (await page.textContent("#connection-id"))!;
}

async function send(page: Page, button: "#send-echo" | "#send-broadcast" | "#send-to-user", text: string): Promise<void> {
  await page.fill("#message", text);
  await page.click(button);
}

/** What the gateway's @connections API says about a connection. */
async function connectionStatus(connectionId: string): Promise<"open" | "gone" | string> {
  const management = new ApiGatewayManagementApiClient({
    endpoint: stack.outputs.managementApiUrl,
    region: stack.outputs.region,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  try {
    await management.send(new GetConnectionCommand({ ConnectionId: connectionId }));
    return "open";
  } catch (error) {
    return error instanceof GoneException ? "gone" : String(error);
  } finally {
    management.destroy();
  }
}

/** A WebSocket endpoint that answers every handshake 401, as API Gateway does for a refused token. */
async function refusingServer(): Promise<{ url: string; handshakes: () => number; close: () => Promise<void> }> {
  let handshakes = 0;
  const server: Server = createServer((_request, response) => response.writeHead(404).end());
  server.on("upgrade", (_request, socket) => {
    handshakes++;
    socket.end("HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: 26\r\nConnection: close\r\n\r\n{\"message\":\"Unauthorized\"}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `ws://127.0.0.1:${(server.address() as { port: number }).port}/local`,
    handshakes: () => handshakes,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Advances the page's fake clock in steps, letting real network events (handshakes, Cognito) land in between. */
async function runClock(page: Page, totalMs: number, stepMs = 5_000): Promise<void> {
  for (let elapsed = 0; elapsed < totalMs; elapsed += stepMs) {
    await page.clock.runFor(stepMs);
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
}

const logTexts = (page: Page) => page.locator("#log li .text").allTextContents();

describe("the web client in chromium", () => {
  it("signs in, connects with the ID token as a subprotocol (never in a URL), once, and shows who it is", async () => {
    const { page, urls, idTokens, sockets, consoleErrors } = await openPage();

    await signInOnPage(page, alice.email);

    expect(await page.textContent("#user-sub")).toBe(alice.sub);
    expect(await page.textContent("#user-email")).toBe(alice.email);
    expect(sockets.map((socket) => socket.url)).toEqual([stack.outputs.webSocketUrl]);
    expect(idTokens).toHaveLength(1);
    const [idToken] = idTokens as [string];
    expect(urls.filter((url) => url.includes(idToken.split(".")[1]!) || /[?&]idToken=/.test(url))).toEqual([]);
    const stored = await page.evaluate(() => Object.keys(sessionStorage).map((key) => `${key}=${sessionStorage.getItem(key)}`));
    expect(stored).toHaveLength(1); // the refresh token, and nothing else
    expect(stored.join("")).not.toContain(idToken.split(".")[1]!);
    expect(consoleErrors).toEqual([]);
  });

  it("delivers a broadcast from one page to a second page, a send-to-user to that user only, and an echo to the sender", async () => {
    const first = await openPage();
    const second = await openPage();
    await signInOnPage(first.page, alice.email);
    await signInOnPage(second.page, bob.email);

    await send(first.page, "#send-broadcast", "hello from alice");
    await expect.poll(() => logTexts(second.page)).toContain("hello from alice");
    await expect.poll(() => logTexts(first.page)).toEqual(expect.arrayContaining(["hello from alice"]));

    await second.page.fill("#target-user", alice.sub);
    await send(second.page, "#send-to-user", "just for alice");
    await expect.poll(() => logTexts(first.page)).toContain("just for alice");

    await send(first.page, "#send-echo", "echo me");
    await expect.poll(() => first.page.locator("#log li.in .text", { hasText: "echo me" }).count()).toBe(1);

    // Bob's page: its own send (outgoing) only, nothing of Alice's private message or echo arriving.
    expect(await second.page.locator("#log li.in .text", { hasText: "just for alice" }).count()).toBe(0);
    expect(await second.page.locator("#log li .text", { hasText: "echo me" }).count()).toBe(0);

    await mkdir("test-results", { recursive: true });
    await first.page.screenshot({ path: screenshotFile, fullPage: true });
    expect(existsSync(screenshotFile)).toBe(true);
  });

  it("shows an error for a bad password and opens no WebSocket", async () => {
    const { page, sockets } = await openPage();

    await page.fill("#email", alice.email);
    await page.fill("#password", "not-her-password");
    await page.click("#sign-in");

    await expect.poll(() => page.textContent("#auth-error")).toBe("Incorrect email or password.");
    expect(await page.isVisible("#auth-error")).toBe(true);
    expect(await page.isVisible("#app-panel")).toBe(false);
    expect(sockets).toEqual([]);
  });

  it("closes the socket on sign-out: the gateway forgets the connection and the tab forgets the tokens", async () => {
    const { page, sockets } = await openPage();
    const connectionId = await signInOnPage(page, bob.email);

    await page.click("#sign-out");

    await page.locator("#sign-in-form").waitFor();
    await expect.poll(() => sockets.map((socket) => socket.closed)).toEqual([true]);
    expect(await page.getAttribute("#connection", "data-status")).toBe("idle");
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await expect.poll(() => connectionStatus(connectionId)).toBe("gone");
  });

  it("does not storm a server that refuses the handshake: backoff, one renewal of the token, then it stops and says so", async () => {
    const refusing = await refusingServer();
    try {
      const { page, sockets } = await openPage({ webSocketUrl: refusing.url, fakeClock: true });
      await page.fill("#email", alice.email);
      await page.fill("#password", "Passw0rd!");
      await page.click("#sign-in");
      await page.locator("#app-panel").waitFor();

      await runClock(page, 10 * 60_000);

      // maxHandshakeFailures (8) refusals of a token Cognito vouched for, spread by the backoff, plus
      // the one refusal, a minute in, that renewed the token at Cognito.
      // The ninth handshake may still be crossing the loopback when the page's clock has run: waited for.
      await expect.poll(() => refusing.handshakes()).toBe(9);
      expect(sockets).toHaveLength(9);
      await expect.poll(() => page.getAttribute("#connection", "data-status")).toBe("failed");
      expect(await page.locator("#log li.error .text").last().textContent()).toMatch(/refused the connection 8 times in a row/);
      expect(await page.isVisible("#retry")).toBe(true);
      await runClock(page, 30 * 60_000, 60_000);
      expect(refusing.handshakes()).toBe(9);
    } finally {
      await refusing.close();
    }
  });

  it("goes back to sign-in, without retrying, when the handshake fails and Cognito refuses the refresh token", async () => {
    const refusing = await refusingServer();
    try {
      const { page } = await openPage({ webSocketUrl: refusing.url, fakeClock: true });
      await page.fill("#email", bob.email);
      await page.fill("#password", "Passw0rd!");
      await page.click("#sign-in");
      await page.locator("#app-panel").waitFor();
      await expect.poll(() => refusing.handshakes()).toBe(1);
      // Revoke the tab's refresh token, as a sign-out elsewhere or an administrator would.
      const stored = await page.evaluate(() => Object.values(sessionStorage).map((value) => JSON.parse(value) as { refreshToken: string }));
      const refreshToken = stored[0]!.refreshToken;
      const revoked = await fetch(stack.outputs.cognitoEndpoint!, {
        method: "POST",
        headers: { "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSCognitoIdentityProviderService.RevokeToken" },
        body: JSON.stringify({ ClientId: stack.outputs.userPoolClientId, Token: refreshToken }),
      });
      expect(revoked.status).toBe(200);

      // A minute later the token is no longer fresh: the next failure renews it once, and Cognito refuses.
      await page.clock.fastForward(61_000);

      await page.locator("#sign-in-form").waitFor();
      expect(await page.textContent("#auth-error")).toBe("Your sign-in is no longer valid. Sign in again.");
      expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
      expect(refusing.handshakes()).toBe(2);
      await runClock(page, 30 * 60_000, 60_000);
      expect(refusing.handshakes()).toBe(2);
    } finally {
      await refusing.close();
    }
  });

  it("creates an account (confirmed by the local stack's development-only endpoint), and a reload keeps the session with one new connection", async () => {
    const { page, sockets } = await openPage();
    await page.fill("#email", "carol@example.com");
    await page.fill("#password", "Passw0rd!");

    await page.click("#sign-up");
    await page.locator('#connection[data-status="open"]').waitFor();
    expect(await page.textContent("#user-email")).toBe("carol@example.com");
    await expect.poll(() => page.textContent("#connection-id")).not.toBe("—");
    const before = (await page.textContent("#connection-id"))!;

    await page.reload();
    await page.locator('#connection[data-status="open"]').waitFor();
    expect(await page.textContent("#user-email")).toBe("carol@example.com");
    await expect.poll(() => page.textContent("#connection-id")).not.toBe("—");
    expect(await page.textContent("#connection-id")).not.toBe(before);
    expect(sockets).toHaveLength(2);
    await expect.poll(() => connectionStatus(before)).toBe("gone");
  });
});

async function joinChannel(page: Page, channel: string): Promise<void> {
  await page.fill("#channel-name", channel);
  await page.click("#channel-join");
  await page.locator(`#channel-view[data-channel="${channel}"][data-status="joined"]`).waitFor();
  await page.locator(`#channel-list li[data-channel="${channel}"][data-status="joined"]`).waitFor();
}

/** Publishes to the channel in view and waits until the page shows it stored (its own copy, with a seq). */
async function publishOnPage(page: Page, text: string): Promise<void> {
  await page.fill("#channel-message", text);
  await page.click("#channel-publish");
  await page.locator("#channel-messages li[data-seq] .text", { hasText: text }).waitFor();
  await page.locator("#channel-messages li.pending").waitFor({ state: "detached" });
}

/** The members shown, by user id, and which of them the page marks as its own user. */
const shownMembers = (page: Page) =>
  page.locator("#channel-members li").evaluateAll((items) => items.map((item) => ({ userId: (item as HTMLElement).dataset.userId, self: (item as HTMLElement).dataset.self !== undefined })));

const memberIds = async (page: Page) => (await shownMembers(page)).map((member) => member.userId).sort();

/** The channel messages shown, in the page's order. */
const shownMessages = (page: Page) =>
  page.locator("#channel-messages li[data-seq]").evaluateAll((items) =>
    items.map((item) => {
      const entry = item as HTMLElement;
      const time = entry.querySelector("time");
      return {
        seq: Number(entry.dataset.seq),
        from: entry.dataset.from,
        name: entry.querySelector(".from")?.textContent,
        text: entry.querySelector(".text")?.textContent,
        sentAt: time?.dateTime,
        shownTime: time?.textContent,
      };
    }),
  );

const shownTexts = async (page: Page) => (await shownMessages(page)).map((message) => message.text);

/** The JSON frames a page sends and receives on its WebSockets, from the moment this is called. */
function recordFrames(page: Page): { sent: Record<string, unknown>[]; received: Record<string, unknown>[] } {
  const frames = { sent: [] as Record<string, unknown>[], received: [] as Record<string, unknown>[] };
  const parse = (payload: string | Buffer) => {
    try {
      return JSON.parse(String(payload)) as Record<string, unknown>;
    } catch {
      return { text: String(payload) };
    }
  };
  page.on("websocket", (socket) => {
    socket.on("framesent", ({ payload }) => frames.sent.push(parse(payload)));
    socket.on("framereceived", ({ payload }) => frames.received.push(parse(payload)));
  });
  return frames;
}

/** Bounds the waits of the channels tests: a loaded machine is slow, never this slow. */
const eventually = { timeout: 10_000, interval: 200 };

/** Who the server says is in a channel: presence asked by another user's own connection. */
async function presenceWatcher(user: SignedInUser): Promise<{ of(channel: string): Promise<string[]>; close(): void }> {
  const watcher = await TestClient.open(`${stack.outputs.webSocketUrl}?idToken=${encodeURIComponent(user.idToken)}`);
  let requests = 0;
  return {
    async of(channel) {
      const reply = await request(watcher, { action: "presence", channel, id: `members-${++requests}` });
      return (reply.members as { userId: string }[]).map((member) => member.userId).sort();
    },
    close: () => watcher.socket.close(),
  };
}

describe("the channels panel in chromium", () => {
  // Pages left open would count against each user's connection limit.
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
  });

  it("shows two users in one channel each other's messages (sender and time) and each other as members, until one leaves or closes the page", async () => {
    const channel = "public/browser-lobby";
    const first = await openPage();
    const second = await openPage();
    await signInOnPage(first.page, alice.email);
    await signInOnPage(second.page, bob.email);

    await joinChannel(first.page, channel);
    await expect.poll(() => shownMembers(first.page), eventually).toEqual([{ userId: alice.sub, self: true }]);
    await joinChannel(second.page, channel);

    // Each sees the other join, and marks only itself as "self".
    await expect.poll(() => memberIds(first.page), eventually).toEqual([alice.sub, bob.sub].sort());
    await expect.poll(() => memberIds(second.page), eventually).toEqual([alice.sub, bob.sub].sort());
    expect(await first.page.textContent("#channel-member-count")).toBe("2");
    expect(await second.page.textContent("#channel-member-count")).toBe("2");
    expect((await shownMembers(first.page)).filter((member) => member.self)).toEqual([{ userId: alice.sub, self: true }]);
    expect((await shownMembers(second.page)).filter((member) => member.self)).toEqual([{ userId: bob.sub, self: true }]);

    const startedAt = Date.now();
    await publishOnPage(first.page, "Hi Bob, the release is out");
    await second.page.locator("#channel-messages li[data-seq] .text", { hasText: "Hi Bob" }).waitFor();
    await publishOnPage(second.page, "Thanks Alice, deploying now");
    await publishOnPage(first.page, "Shout if the smoke tests fail");
    const conversation = [
      { seq: 1, from: alice.sub, text: "Hi Bob, the release is out" },
      { seq: 2, from: bob.sub, text: "Thanks Alice, deploying now" },
      { seq: 3, from: alice.sub, text: "Shout if the smoke tests fail" },
    ];
    for (const page of [first.page, second.page]) {
      await expect.poll(() => shownTexts(page), eventually).toHaveLength(3);
      const shown = await shownMessages(page);
      // The local user pool's username is the sub: the page shows it as the sender's name.
      expect(shown.map(({ seq, from, text }) => ({ seq, from, text }))).toEqual(conversation);
      expect(shown.map((message) => message.name)).toEqual(conversation.map((message) => message.from));
      for (const message of shown) {
        expect(Date.parse(message.sentAt!)).toBeGreaterThanOrEqual(startedAt);
        expect(Date.parse(message.sentAt!)).toBeLessThanOrEqual(Date.now());
        expect(message.shownTime).toMatch(/^\d{2}:\d{2}:\d{2}$/);
      }
    }
    expect(await first.page.locator("#channel-messages li[data-self]").count()).toBe(2);

    await mkdir("test-results", { recursive: true });
    await first.page.screenshot({ path: channelsScreenshotFile, fullPage: true });
    expect(existsSync(channelsScreenshotFile)).toBe(true);

    // Bob leaves: his page forgets the channel, Alice's sees him go.
    await second.page.click("#channel-leave");
    expect(await second.page.locator(`#channel-list li[data-channel="${channel}"]`).count()).toBe(0);
    expect(await second.page.isVisible("#channel-view")).toBe(false);
    await expect.poll(() => memberIds(first.page), eventually).toEqual([alice.sub]);
    expect(await first.page.textContent("#channel-member-count")).toBe("1");

    // He comes back, then closes his page (the browser closes the socket: $disconnect): gone again.
    await joinChannel(second.page, channel);
    await expect.poll(() => memberIds(first.page), eventually).toEqual([alice.sub, bob.sub].sort());
    await second.page.close();
    await expect.poll(() => memberIds(first.page), eventually).toEqual([alice.sub]);
    expect(await first.page.textContent("#channel-member-count")).toBe("1");
    expect(first.consoleErrors).toEqual([]);
  });

  it("resumes a page whose connection was lost: every message published meanwhile shown once, in seq order, with no notice", async () => {
    const channel = "public/browser-resume";
    // How the socket is lost. The page's WebSocket is private to its module, and Chromium's offline
    // mode leaves open WebSockets open (it only fails new ones), so neither can drop it; a DELETE
    // @connections/{id} would be the server closing it cleanly (1000), not a drop. So the page
    // connects through a TCP relay that resets its connection both ways, as a lost network does: no
    // close frame, the page sees 1006 and takes its own reconnect path (backoff), the gateway runs
    // $disconnect. The browser is offline meanwhile, so its reconnect attempts fail as they would,
    // until it comes back online (the page listens for that).
    const gateway = new URL(stack.outputs.webSocketUrl);
    const relay = await startTcpRelay({ host: gateway.hostname, port: Number(gateway.port) });
    try {
      const viaRelay = new URL(gateway);
      viaRelay.port = String(relay.port);
      const first = await openPage({ webSocketUrl: viaRelay.href });
      const frames = recordFrames(first.page);
      const second = await openPage();
      const connectionBefore = await signInOnPage(first.page, alice.email);
      await signInOnPage(second.page, bob.email);
      await joinChannel(first.page, channel);
      await joinChannel(second.page, channel);
      await expect.poll(() => memberIds(first.page), eventually).toEqual([alice.sub, bob.sub].sort());
      await publishOnPage(second.page, "before the drop");
      await first.page.locator("#channel-messages li[data-seq] .text", { hasText: "before the drop" }).waitFor();
      const lastSeen = (await shownMessages(first.page))[0]!.seq;

      await first.page.context().setOffline(true);
      relay.cut();

      await first.page.locator('#connection:not([data-status="open"])').waitFor();
      await expect.poll(() => logTexts(first.page), eventually).toContainEqual(expect.stringMatching(/^the connection was lost \(code 1006\); retrying/));
      expect(await first.page.isDisabled("#channel-publish")).toBe(true);
      // The gateway saw the connection go: Alice's subscription ended, so nothing reaches her live.
      await expect.poll(() => memberIds(second.page), eventually).toEqual([bob.sub]);
      const missed = ["while away 1", "while away 2", "while away 3", "while away 4", "while away 5"];
      for (const text of missed) await publishOnPage(second.page, text);
      expect(await shownTexts(first.page)).toEqual(["before the drop"]);

      await first.page.context().setOffline(false);

      await first.page.locator('#connection[data-status="open"]').waitFor({ timeout: 20_000 });
      await expect.poll(() => first.page.textContent("#connection-id"), eventually).toMatch(/^[\w=-]{6,}$/);
      expect(await first.page.textContent("#connection-id")).not.toBe(connectionBefore);
      await expect.poll(() => shownTexts(first.page), eventually).toEqual(["before the drop", ...missed]);
      const shown = await shownMessages(first.page);
      expect(shown.map((message) => message.seq)).toEqual([lastSeen, ...missed.map((_, index) => lastSeen + 1 + index)]);
      expect(shown.every((message) => message.from === bob.sub)).toBe(true);
      expect(shown).toEqual(await shownMessages(second.page));
      expect(await first.page.isVisible("#channel-notice")).toBe(false);
      expect(await first.page.locator("#channel-list li[data-notice]").count()).toBe(0);
      expect(await first.page.isVisible("#channel-error")).toBe(false);
      expect(await first.page.locator(`#channel-view[data-channel="${channel}"]`).getAttribute("data-status")).toBe("joined");
      // Through the relay again, resuming after what it had: a replay, not live delivery.
      expect(relay.relayed()).toBeGreaterThanOrEqual(2);
      expect(frames.sent).toContainEqual(expect.objectContaining({ action: "subscribe", channel, since: lastSeen }));
      expect(frames.received).toContainEqual(expect.objectContaining({ type: "subscribed", channel, seq: lastSeen + missed.length, resumed: true }));
      // Both pages list both users again.
      await expect.poll(() => memberIds(second.page), eventually).toEqual([alice.sub, bob.sub].sort());
      await expect.poll(() => memberIds(first.page), eventually).toEqual([alice.sub, bob.sub].sort());
    } finally {
      await relay.close();
    }
  }, 60_000);

  // API Gateway runs the frames of one connection concurrently, in no promised order: an unsubscribe
  // sent after a subscribe can be handled first, and the other way round. A user who changes their
  // mind quickly meets this on AWS (a cold function); here the page sends the frames in one go,
  // faster than the local stack answers, and the server's presence says where it really is.
  it("is in the channels it shows after leaving every channel and joining one again faster than the server answers", async () => {
    const { page } = await openPage();
    await signInOnPage(page, alice.email);
    const members = await presenceWatcher(bob);
    try {
      const rooms = ["public/rooms-1", "public/rooms-2", "public/rooms-3", "public/rooms-4", "public/rooms-5"];
      // Twice, rejoining another room each time: the race is not won every time.
      for (const rejoined of [rooms.at(-1)!, rooms[0]!]) {
        for (const room of rooms) if ((await page.locator(`#channel-list li[data-channel="${room}"]`).count()) === 0) await joinChannel(page, room);
        for (const room of rooms) await expect.poll(() => members.of(room), eventually).toEqual([alice.sub]);

        await page.evaluate(
          ([channels, again]) => {
            for (const channel of channels) {
              (document.querySelector(`#channel-list li[data-channel="${channel}"] button`) as HTMLButtonElement).click();
              document.getElementById("channel-leave")!.click();
            }
            (document.getElementById("channel-name") as HTMLInputElement).value = again;
            document.getElementById("channel-join")!.click();
          },
          [rooms, rejoined] as const,
        );

        await page.locator(`#channel-view[data-channel="${rejoined}"][data-status="joined"]`).waitFor();
        expect(await page.locator("#channel-list li").count()).toBe(1);
        await expect.poll(() => members.of(rejoined), eventually).toEqual([alice.sub]);
        for (const room of rooms.filter((room) => room !== rejoined)) await expect.poll(() => members.of(room), eventually).toEqual([]);
      }
    } finally {
      members.close();
    }
  }, 60_000);

  it("is in none of the channels it left before the server answered the join", async () => {
    const { page } = await openPage();
    const frames = recordFrames(page);
    await signInOnPage(page, alice.email);
    const members = await presenceWatcher(bob);
    try {
      const hasty = ["public/hasty-1", "public/hasty-2", "public/hasty-3"];
      await page.evaluate((channels) => {
        for (const channel of channels) {
          (document.getElementById("channel-name") as HTMLInputElement).value = channel;
          document.getElementById("channel-join")!.click();
          document.getElementById("channel-leave")!.click();
        }
      }, hasty);

      expect(await page.locator("#channel-list li").count()).toBe(0);
      for (const channel of hasty) {
        // The server made the subscription (its reply came), and then undid it.
        await expect.poll(() => frames.received.some((frame) => frame.type === "subscribed" && frame.channel === channel), eventually).toBe(true);
        await expect.poll(() => members.of(channel), eventually).toEqual([]);
      }
    } finally {
      members.close();
    }
  }, 60_000);
});
