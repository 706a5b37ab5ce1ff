/**
 * Where a client puts its token at `$connect`: the configured query string parameter, or, for
 * browsers, an entry of `Sec-WebSocket-Protocol` (which keeps it out of URLs and logs).
 */

export interface TokenLocation {
  readonly queryParameter: string;
  readonly subprotocol: boolean;
}

/** The parts of a `$connect` request a token can come from (authorizer and proxy events alike). */
export interface HandshakeRequest {
  readonly headers?: Readonly<Record<string, string | undefined>> | null;
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>> | null;
  readonly multiValueQueryStringParameters?: Readonly<Record<string, readonly string[] | undefined>> | null;
}

export type TokenSearch =
  | { readonly found: true; readonly token: string }
  | { readonly found: false; readonly reason: "missing" | "ambiguous" };

const compactJws = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** True for an entry shaped like a compact JWT; any other entry is an application protocol. */
export const looksLikeToken = (value: string): boolean => compactJws.test(value);

/** Finds the one token offered. Two different candidates are refused rather than guessed between. */
export function findToken(request: HandshakeRequest, location: TokenLocation): TokenSearch {
  const fromQuery = request.multiValueQueryStringParameters?.[location.queryParameter] ??
    (request.queryStringParameters?.[location.queryParameter] === undefined
      ? []
      : [request.queryStringParameters[location.queryParameter]!]);
  const fromProtocol = location.subprotocol ? offeredSubprotocols(request.headers).filter(looksLikeToken) : [];
  const candidates = [...fromQuery, ...fromProtocol].filter((value) => value !== "");
  const [token] = candidates;
  if (token === undefined) return { found: false, reason: "missing" };
  // Compared, not put in a Set, which would hash the whole ~1 KB token (≈1.4 µs; the verified-token
  // cache hashes 64 characters of it).
  if (fromQuery.length > 1 || candidates.some((candidate) => candidate !== token)) return { found: false, reason: "ambiguous" };
  return { found: true, token };
}

/** The subprotocols a client offered, in order (`Sec-WebSocket-Protocol`, any header casing). */
export function offeredSubprotocols(headers: HandshakeRequest["headers"]): string[] {
  const value = header(headers, "sec-websocket-protocol");
  return value ? value.split(",").map((entry) => entry.trim()).filter(Boolean) : [];
}

/**
 * The protocol `$connect` selects (browsers fail the handshake unless one is selected): the first
 * application protocol offered. Never the token: a response header can end up in proxy logs, so a
 * client that offered only its token gets no protocol (and must offer one, e.g. `["json", token]`).
 */
export function selectSubprotocol(headers: HandshakeRequest["headers"]): string | undefined {
  return offeredSubprotocols(headers).find((entry) => !looksLikeToken(entry));
}

function header(headers: HandshakeRequest["headers"], name: string): string | undefined {
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}
