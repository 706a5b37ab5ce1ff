/**
 * The sign-in panel: sign-in and, when the pool lets users create their own accounts, sign-up and
 * its confirmation. DOM wiring only: Cognito's calls are the CognitoApi's, the tokens the Session's.
 */
import { CognitoError, describeCognitoError, type CognitoApi } from "./cognito.js";
import type { WebClientConfig } from "./config.js";
import { elements, hide, show } from "./dom.js";

export interface AuthPanelOptions {
  readonly config: WebClientConfig;
  readonly cognito: CognitoApi;
  /** Starts the session (the Session's signIn); throws Cognito's refusal. */
  readonly signIn: (email: string, password: string) => Promise<unknown>;
  /** Called once signed in: the page shows the app. */
  readonly onSignedIn: () => void;
  /** `fetch` in the page, for the local stack's confirmation endpoint. */
  readonly fetch: typeof fetch;
}

export interface AuthPanel {
  /** The sign-in form, with an error when given. */
  show(message?: string): void;
  hide(): void;
}

/** Whether the page offers "Create account" and the confirmation that follows it. */
const offersSignUp = (config: WebClientConfig): boolean => config.selfSignUp !== false;

function noteFor(config: WebClientConfig): string | undefined {
  if (!offersSignUp(config)) return "Accounts are created by an administrator: sign in with the one you were given.";
  if (config.environment !== "local") return undefined;
  return config.localConfirmSignUpUrl
    ? "Local stack: new accounts are confirmed at once by the local web server (development only)."
    : "Local stack: the confirmation code of a new account is in .local/cognito/cognito-local.log.";
}

export function mountAuthPanel({ config, cognito, signIn: startSession, onSignedIn, fetch }: AuthPanelOptions): AuthPanel {
  const ui = {
    ...elements({ panel: "auth-panel", title: "auth-title", confirmEmail: "confirm-email", error: "auth-error", note: "auth-note" }),
    ...elements("form", { signInForm: "sign-in-form", confirmForm: "confirm-form" }),
    ...elements("input", { email: "email", password: "password", code: "code" }),
    ...elements("button", { signIn: "sign-in", signUp: "sign-up", confirm: "confirm", confirmCancel: "confirm-cancel" }),
  };
  const signUpOffered = offersSignUp(config);
  ui.signUp.hidden = !signUpOffered;
  const note = noteFor(config);
  if (note) show(ui.note, note);

  const showSignIn = (message?: string) => {
    hide(ui.confirmForm);
    show(ui.signInForm);
    ui.title.textContent = "Sign in";
    ui.password.value = "";
    if (message) show(ui.error, message);
    else hide(ui.error);
    show(ui.panel);
  };

  const showConfirm = (email: string) => {
    ui.confirmEmail.textContent = email;
    ui.title.textContent = "Confirm your account";
    hide(ui.signInForm);
    hide(ui.error);
    show(ui.confirmForm);
    ui.code.focus();
  };

  const busy = async (buttons: HTMLButtonElement[], work: () => Promise<void>) => {
    for (const button of buttons) button.disabled = true;
    try {
      await work();
    } finally {
      for (const button of buttons) button.disabled = false;
    }
  };

  const credentials = (): { email: string; password: string } | undefined => {
    const email = ui.email.value.trim();
    const password = ui.password.value;
    if (email === "" || password === "") {
      show(ui.error, "Enter your email and password.");
      return undefined;
    }
    return { email, password };
  };

  const signIn = async (email: string, password: string) => {
    try {
      await startSession(email, password);
      hide(ui.error);
      onSignedIn();
    } catch (error) {
      if (error instanceof CognitoError && error.code === "UserNotConfirmedException") {
        if (signUpOffered) showConfirm(email);
        else show(ui.error, "This account is not confirmed yet: ask an administrator to confirm it.");
        return;
      }
      show(ui.error, describeCognitoError(error, "sign-in"));
    }
  };

  ui.signInForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const given = credentials();
    if (given) void busy([ui.signIn, ui.signUp], () => signIn(given.email, given.password));
  });

  ui.signUp.addEventListener("click", () => {
    const given = signUpOffered ? credentials() : undefined;
    if (!given) return;
    void busy([ui.signIn, ui.signUp], async () => {
      try {
        const { userConfirmed } = await cognito.signUp(given.email, given.password);
        if (!userConfirmed && config.localConfirmSignUpUrl) {
          const response = await fetch(config.localConfirmSignUpUrl, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ username: given.email }),
          });
          if (!response.ok) throw new Error(`the local web server could not confirm the account (HTTP ${response.status})`);
        } else if (!userConfirmed) {
          showConfirm(given.email);
          return;
        }
        await signIn(given.email, given.password);
      } catch (error) {
        show(ui.error, error instanceof CognitoError ? describeCognitoError(error, "sign-up") : `Sign-up failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
  });

  ui.confirmForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const email = ui.confirmEmail.textContent ?? "";
    const code = ui.code.value.trim();
    if (code === "") {
      show(ui.error, "Enter the confirmation code.");
      return;
    }
    void busy([ui.confirm], async () => {
      try {
        await cognito.confirmSignUp(email, code);
      } catch (error) {
        show(ui.error, describeCognitoError(error, "confirm"));
        return;
      }
      ui.code.value = "";
      if (ui.password.value !== "") await signIn(email, ui.password.value);
      else showSignIn();
    });
  });

  ui.confirmCancel.addEventListener("click", () => showSignIn());

  return { show: showSignIn, hide: () => hide(ui.panel) };
}
