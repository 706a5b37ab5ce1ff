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

function lookup(json: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((value, key) => (typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined), json);
}

/** A missing value selects `""`; non-scalars are stringified the way API Gateway (Java) does: `[a, b]`. */
function stringify(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) return `[${value.map(stringify).join(", ")}]`;
  if (typeof value === "object") return `{${Object.entries(value).map(([k, v]) => `${k}=${stringify(v)}`).join(", ")}}`;
  return String(value);
}
