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
  /** Every value of every header: a header sent twice has both here, and only the last in `headers`. */
  readonly multiValueHeaders?: Readonly<Record<string, readonly string[] | undefined>> | null;
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>> | null;
  readonly multiValueQueryStringParameters?: Readonly<Record<string, readonly string[] | undefined>> | null;
}

export type TokenSearch =
  | { readonly found: true; readonly token: string }
  | { readonly found: false; readonly reason: "missing" | "ambiguous" | "malformed" };

/** Shaped like a compact JWS, signature possibly empty: such an entry is never an application protocol. */
const jwsShaped = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const compactJws = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const base64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** True for an entry shaped like a compact JWT; any other entry is an application protocol. */
export const looksLikeToken = (value: string): boolean => jwsShaped.test(value);

/**
 * True for a token in the one spelling a signer produces: three unpadded base64url segments whose
 * last characters carry no stray bits. Decoders are lenient (whitespace, `+`, `=`, stray bits
 * are ignored), so without this one token would verify under many spellings, each a new entry in
 * the verified-token cache.
 */
export function isCompactJws(token: string): boolean {
  return compactJws.test(token) && token.split(".").every(canonicalSegment);
}

/** Finds the one token offered. Two different candidates are refused rather than guessed between. */
export function findToken(request: HandshakeRequest, location: TokenLocation): TokenSearch {
  const { queryParameter } = location;
  const single = own(request.queryStringParameters, queryParameter);
  const fromQuery = own(request.multiValueQueryStringParameters, queryParameter) ?? (single === undefined ? [] : [single]);
  const fromProtocol = location.subprotocol ? offeredSubprotocols(request).filter(looksLikeToken) : [];
  const candidates = [...fromQuery, ...fromProtocol].filter((value) => value !== "");
  const [token] = candidates;
  if (token === undefined) return { found: false, reason: "missing" };
  // Compared, not put in a Set, which would hash the whole ~1 KB token (≈1.4 µs; the verified-token
  // cache hashes 64 characters of it).
  if (fromQuery.length > 1 || candidates.some((candidate) => candidate !== token)) return { found: false, reason: "ambiguous" };
  if (!isCompactJws(token)) return { found: false, reason: "malformed" };
  return { found: true, token };
}

/**
 * The subprotocols a client offered, in order, from every `Sec-WebSocket-Protocol` header it sent
 * (any casing; a repeated header counts as one list, as RFC 6455 says).
 */
export function offeredSubprotocols(request: HandshakeRequest): string[] {
  const values = headerValues(request, "sec-websocket-protocol");
  return values.flatMap((value) => value.split(",")).map((entry) => entry.trim()).filter(Boolean);
}

/**
 * The protocol `$connect` selects (browsers fail the handshake unless one is selected): the first
 * application protocol offered. Never the token: a response header can end up in proxy logs, so a
 * client that offered only its token gets no protocol (and must offer one, e.g. `["json", token]`).
 */
export function selectSubprotocol(request: HandshakeRequest): string | undefined {
  return offeredSubprotocols(request).find((entry) => !looksLikeToken(entry));
}

/** A configured name looked up among the request's own keys only (`constructor` is not a parameter). */
function own<T>(record: Readonly<Record<string, T | undefined>> | null | undefined, key: string): T | undefined {
  return record && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Every value of a header: from `multiValueHeaders` when the event has it, else the single-value map. */
function headerValues(request: HandshakeRequest, name: string): string[] {
  const matching = <T>(map: Readonly<Record<string, T | undefined>>) =>
    Object.entries(map).flatMap(([key, value]) => (key.toLowerCase() === name && value !== undefined ? [value] : []));
  if (request.multiValueHeaders) {
    const values = matching(request.multiValueHeaders).flat();
    if (values.length > 0) return values;
  }
  return matching(request.headers ?? {});
}

/** No stray bits: a segment of 4n+2 characters ends on 4 unused bits, one of 4n+3 on 2; 4n+1 is impossible. */
function canonicalSegment(segment: string): boolean {
  const unusedBits = [0, -1, 4, 2][segment.length % 4]!;
  return unusedBits >= 0 && (base64url.indexOf(segment.at(-1)!) & ((1 << unusedBits) - 1)) === 0;
}
