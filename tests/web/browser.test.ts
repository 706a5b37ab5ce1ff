/// <reference lib="dom" />
// page.evaluate() callbacks run in the browser: they use its globals.
/**
 * The web client in a real browser (Debian's chromium, headless, driven by playwright-core) against
 * the real local stack: the page served by the local web server, cognito-local, the gateway
 * emulator and the function bundles. Screenshot of the working page: test-results/web-client.png.
 */
import { ApiGatewayManagementApiClient, GetConnectionCommand, GoneException } from "@aws-sdk/client-apigatewaymanagementapi";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signUp, startTestStack, type SignedInUser, type TestStack } from "../support/local-stack.js";

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
      expect(refusing.handshakes()).toBe(9);
      expect(sockets).toHaveLength(9);
      expect(await page.getAttribute("#connection", "data-status")).toBe("failed");
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
