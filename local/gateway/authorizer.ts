/**
 * The REQUEST authorizer at `$connect`, the way API Gateway applies it: identity sources checked
 * first, then the Lambda's outcome mapped to 401 / 403 / 500 or to `requestContext.authorizer`.
 */
import type { InvokeResult } from "../function-host.js";
import type { AuthorizerFields } from "./events.js";

export interface IdentitySource {
  readonly from: "header" | "querystring";
  readonly name: string;
}

export type AuthorizerOutcome =
  | { readonly allowed: true; readonly authorizer: AuthorizerFields }
  | { readonly allowed: false; readonly status: 401 | 403 | 500; readonly error: string };

/** Parses `route.request.header.X` / `route.request.querystring.X`; anything else is a config error. */
export function parseIdentitySource(source: string): IdentitySource {
  const match = /^route\.request\.(header|querystring)\.(.+)$/.exec(source);
  if (!match) {
    throw new Error(`identity source "${source}" is not supported: use route.request.header.NAME or route.request.querystring.NAME`);
  }
  return { from: match[1] as IdentitySource["from"], name: match[2]! };
}

/** API Gateway answers 401 without calling the authorizer when any identity source is missing or empty. */
export function identityPresent(sources: readonly IdentitySource[], headers: NodeJS.Dict<string | string[]>, query: URLSearchParams): boolean {
  return sources.every(({ from, name }) => {
    const key = name.toLowerCase();
    // Own keys only: a header source named `constructor` must not find Object.prototype's.
    const value = from === "header" ? (Object.hasOwn(headers, key) ? headers[key] : undefined) : query.get(name);
    return typeof value === "string" ? value !== "" : Array.isArray(value) && value.some((v) => v !== "");
  });
}

/** Authorizer results above 8 KB are rejected by API Gateway. */
const maxResultBytes = 8 * 1024;

export function authorizerOutcome(invoked: InvokeResult, methodArn: string, integrationLatency: number): AuthorizerOutcome {
  if (!invoked.ok) {
    return invoked.errorMessage === "Unauthorized"
      ? { allowed: false, status: 401, error: "Unauthorized" }
      : { allowed: false, status: 500, error: `Authorizer error: ${invoked.errorType}` };
  }
  const result = invoked.result as { principalId?: unknown; policyDocument?: unknown; context?: unknown } | null;
  const malformed = (why: string): AuthorizerOutcome => ({ allowed: false, status: 500, error: `Invalid authorizer result: ${why}` });
  if (typeof result !== "object" || result === null) return malformed("not an object");
  if (Buffer.byteLength(JSON.stringify(result)) > maxResultBytes) return malformed("larger than 8 KB");
  if (typeof result.principalId !== "string" || result.principalId === "") return malformed("no principalId");
  const context = result.context ?? {};
  if (typeof context !== "object" || context === null || Array.isArray(context)) return malformed("context is not an object");
  const entries = Object.entries(context);
  if (!entries.every(([, value]) => ["string", "number", "boolean"].includes(typeof value))) {
    return malformed("context values must be strings, numbers or booleans");
  }
  const decision = evaluatePolicy(result.policyDocument, methodArn);
  if (decision === "invalid") return malformed("invalid policyDocument");
  if (decision === "deny") return { allowed: false, status: 403, error: "Forbidden" };
  // Context values reach the integration as strings; principalId and integrationLatency cannot be overridden.
  const stringified = entries.filter(([key]) => key !== "principalId" && key !== "integrationLatency").map(([key, value]) => [key, String(value)]);
  return { allowed: true, authorizer: { principalId: result.principalId, integrationLatency, ...Object.fromEntries(stringified) } };
}

interface Statement {
  Effect?: unknown;
  Action?: unknown;
  Resource?: unknown;
}

/** IAM evaluation for one request: an explicit Deny wins, otherwise an Allow must cover it. */
export function evaluatePolicy(policyDocument: unknown, methodArn: string): "allow" | "deny" | "invalid" {
  const raw = (policyDocument as { Statement?: unknown } | null)?.Statement;
  const statements = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) as Statement[];
  if (statements.length === 0) return "invalid";
  let allowed = false;
  for (const statement of statements) {
    const actions = asList(statement?.Action);
    const resources = asList(statement?.Resource);
    if (!actions || !resources || (statement.Effect !== "Allow" && statement.Effect !== "Deny")) return "invalid";
    const covers =
      actions.some((action) => wildcard(action, "i").test("execute-api:Invoke")) &&
      resources.some((resource) => wildcard(resource, "").test(methodArn));
    if (covers && statement.Effect === "Deny") return "deny";
    if (covers) allowed = true;
  }
  return allowed ? "allow" : "deny";
}

function asList(value: unknown): string[] | undefined {
  const list = Array.isArray(value) ? value : [value];
  return list.length > 0 && list.every((item) => typeof item === "string") ? (list as string[]) : undefined;
}

/** IAM pattern: `*` any run of characters, `?` any one; actions compare case-insensitively. */
function wildcard(pattern: string, flags: string): RegExp {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*").replaceAll("?", ".");
  return new RegExp(`^${source}$`, flags);
}
