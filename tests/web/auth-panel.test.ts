/** The sign-in panel's offer follows the pool's sign-up mode (config.json's selfSignUp), on a fake DOM. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { mountAuthPanel } from "../../web/src/auth-panel.js";
import { CognitoError, type CognitoApi } from "../../web/src/cognito.js";
import { cloudWebClientConfig, type WebClientConfig } from "../../web/src/config.js";

/** What the panel touches of an element. */
class FakeElement {
  hidden = false;
  textContent = "";
  value = "";
  disabled = false;
  private readonly listeners = new Map<string, ((event: { preventDefault(): void }) => void)[]>();
  addEventListener(type: string, listener: (event: { preventDefault(): void }) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  focus(): void {}
  dispatch(type: string): void {
    for (const listener of this.listeners.get(type) ?? []) listener({ preventDefault: () => undefined });
  }
}

/** index.html's auth panel as it is on load: the forms shown, the messages hidden. */
const ids = ["auth-panel", "auth-title", "sign-in-form", "email", "password", "sign-in", "sign-up", "confirm-form", "confirm-email", "code", "confirm", "confirm-cancel", "auth-error", "auth-note"];

function page(config: WebClientConfig, cognito: Partial<CognitoApi> = {}) {
  const elements = new Map(ids.map((id) => [id, new FakeElement()]));
  for (const id of ["auth-panel", "confirm-form", "auth-error", "auth-note"]) elements.get(id)!.hidden = true;
  vi.stubGlobal("document", { getElementById: (id: string) => elements.get(id) ?? null });
  const signIn = vi.fn(async () => undefined);
  const signUp = vi.fn(async () => ({ userConfirmed: false, userSub: "sub-1" }));
  const panel = mountAuthPanel({ config, cognito: { signUp, ...cognito } as unknown as CognitoApi, signIn, onSignedIn: () => undefined, fetch: vi.fn() });
  panel.show();
  const $ = (id: string) => elements.get(id)!;
  $("email").value = "zoe@example.com";
  $("password").value = "Passw0rd!";
  return { $, signIn, signUp };
}

/** Lets the panel's promise callbacks run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

const cloud = (selfSignUp?: boolean) =>
  cloudWebClientConfig({ webSocketUrl: "wss://abc.example.com/dev", userPoolId: "eu-west-1_AbCdEf123", userPoolClientId: "client", ...(selfSignUp === undefined ? {} : { selfSignUp }) });

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("the sign-in panel", () => {
  it("with selfSignUp false: offers sign-in only (no Create account, no confirmation form) and says who creates accounts", async () => {
    const unconfirmed = new CognitoError("UserNotConfirmedException", "User is not confirmed.");
    const { $, signIn, signUp } = page(cloud(false));
    signIn.mockRejectedValueOnce(unconfirmed);

    expect($("sign-up").hidden).toBe(true);
    expect($("auth-note")).toMatchObject({ hidden: false, textContent: expect.stringContaining("created by an administrator") });
    $("sign-up").dispatch("click");
    $("sign-in-form").dispatch("submit");
    await settle();

    expect(signUp).not.toHaveBeenCalled();
    expect(signIn).toHaveBeenCalledWith("zoe@example.com", "Passw0rd!");
    expect($("confirm-form").hidden).toBe(true);
    expect($("sign-in-form").hidden).toBe(false);
    expect($("auth-error")).toMatchObject({ hidden: false, textContent: expect.stringContaining("ask an administrator") });
  });

  it("without selfSignUp (an older config.json) or with true: offers Create account, which signs up and asks for the code", async () => {
    for (const config of [cloud(), cloud(true)]) {
      const { $, signUp } = page(config);

      expect($("sign-up").hidden).toBe(false);
      expect($("auth-note").hidden).toBe(true);
      $("sign-up").dispatch("click");
      await settle();

      expect(signUp).toHaveBeenCalledWith("zoe@example.com", "Passw0rd!");
      expect($("confirm-form").hidden).toBe(false);
      expect($("confirm-email").textContent).toBe("zoe@example.com");
    }
  });
});
