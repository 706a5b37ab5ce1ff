/**
 * Route selection expressions on message bodies: `$request.body.action`, nested paths
 * (`$request.body.a.b`) and templates (`${request.body.service}/${request.body.action}`).
 */

/** Returns the selected route key for a text frame, or `undefined` when the frame is not JSON. */
export type RouteSelector = (body: string) => string | undefined;

const plainPath = /^\$request\.body\.([^\s${}]+)$/;
const templateVariable = /\$\{request\.body\.([^}]+)\}/g;

export function compileRouteSelection(expression: string): RouteSelector {
  const plain = plainPath.exec(expression);
  if (plain) {
    const path = plain[1]!.split(".");
    return (body) => withJson(body, (json) => stringify(lookup(json, path)));
  }
  if (!expression.includes("${") && expression.startsWith("$")) {
    throw new Error(`route selection expression "${expression}" is not supported: use $request.body.PATH or \${request.body.PATH}`);
  }
  const paths = [...expression.matchAll(templateVariable)].map((match) => match[1]!.split("."));
  return (body) =>
    withJson(body, (json) => {
      let index = 0;
      return expression.replace(templateVariable, () => stringify(lookup(json, paths[index++]!)));
    });
}

function withJson(body: string, select: (json: unknown) => string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  return select(json);
}

/** Own properties only: `__proto__` or `constructor` in a path must not reach Object.prototype. */
function lookup(json: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>(
    (value, key) => (typeof value === "object" && value !== null && Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined),
    json,
  );
}

/** Deeper values than any route key could name are cut short, so hostile nesting cannot exhaust the stack. */
const maxDepth = 32;

/** A missing value selects `""`; non-scalars are stringified the way API Gateway (Java) does: `[a, b]`. */
function stringify(value: unknown, depth = 0): string {
  if (value === undefined || value === null) return "";
  if (typeof value !== "object") return String(value);
  if (depth >= maxDepth) return "…";
  if (Array.isArray(value)) return `[${value.map((item) => stringify(item, depth + 1)).join(", ")}]`;
  return `{${Object.entries(value).map(([k, v]) => `${k}=${stringify(v, depth + 1)}`).join(", ")}}`;
}
