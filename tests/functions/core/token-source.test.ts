import { describe, expect, it } from "vitest";
import { findToken, isCompactJws, selectSubprotocol } from "../../../functions/core/token-source.js";

const location = { queryParameter: "idToken", subprotocol: true };
// Shaped like compact JWTs, each segment a canonical base64url spelling.
const token = "aaaa.bbbb.cccc";
const other = "dddd.eeee.ffff";

describe("findToken", () => {
  it("reads the query parameter", () => {
    expect(findToken({ queryStringParameters: { idToken: token } }, location)).toEqual({ found: true, token });
  });

  it("reads a JWT-shaped subprotocol entry, whatever the header casing", () => {
    expect(findToken({ headers: { "SEC-WEBSOCKET-PROTOCOL": `json,  ${token}` } }, location)).toEqual({ found: true, token });
  });

  it("ignores subprotocols when that path is off", () => {
    expect(findToken({ headers: { "Sec-WebSocket-Protocol": token } }, { ...location, subprotocol: false })).toEqual({ found: false, reason: "missing" });
  });

  it("treats an empty parameter as missing", () => {
    expect(findToken({ queryStringParameters: { idToken: "" } }, location)).toEqual({ found: false, reason: "missing" });
  });

  it("refuses to choose between different tokens", () => {
    expect(findToken({ multiValueQueryStringParameters: { idToken: [token, other] } }, location)).toEqual({ found: false, reason: "ambiguous" });
    expect(findToken({ headers: { "Sec-WebSocket-Protocol": `${token}, ${other}` } }, location)).toEqual({ found: false, reason: "ambiguous" });
    expect(findToken({ queryStringParameters: { idToken: token }, headers: { "Sec-WebSocket-Protocol": other } }, location)).toEqual({ found: false, reason: "ambiguous" });
  });

  it("refuses different tokens in two Sec-WebSocket-Protocol headers, though `headers` shows only the last", () => {
    const twoHeaders = {
      headers: { "Sec-WebSocket-Protocol": other },
      multiValueHeaders: { "Sec-WebSocket-Protocol": [`json, ${token}`, other] },
    };
    expect(findToken(twoHeaders, location)).toEqual({ found: false, reason: "ambiguous" });
    // Cased differently, the two headers are two keys.
    const twoCasings = { headers: { "sec-websocket-protocol": other }, multiValueHeaders: { "Sec-WebSocket-Protocol": [token], "sec-websocket-protocol": [other] } };
    expect(findToken(twoCasings, location)).toEqual({ found: false, reason: "ambiguous" });
  });

  it("refuses a repeated query parameter even with equal values", () => {
    expect(findToken({ multiValueQueryStringParameters: { idToken: [token, token] } }, location)).toEqual({ found: false, reason: "ambiguous" });
  });

  it("accepts the same token offered both ways", () => {
    expect(findToken({ queryStringParameters: { idToken: token }, headers: { "sec-websocket-protocol": token } }, location)).toEqual({ found: true, token });
  });

  it.each([
    ["a trailing newline (%0A)", `${token}\n`],
    ["a tab (%09)", `aaaa.bb\tbb.cccc`],
    ["a space (+)", `${token} `],
    ["a leading space", ` ${token}`],
    ["= padding", "aaaa.bbbb.cc=="],
    ["standard base64 characters", "aa+a.bbbb.cc/c"],
    ["an empty signature", "aaaa.bbbb."],
    ["four segments", `${token}.dddd`],
    ["stray bits in a segment's last character", "aaaa.bbbb.cd"],
    ["a segment of 4n+1 characters", "aaaa.bbbb.ccccc"],
  ])("refuses a query token with %s as malformed", (_, variant) => {
    expect(findToken({ queryStringParameters: { idToken: variant } }, location)).toEqual({ found: false, reason: "malformed" });
  });

  it.each(["constructor", "toString", "__proto__", "hasOwnProperty"])("reads only the request's own parameters when the parameter is named %s", (name) => {
    const at = { ...location, queryParameter: name };
    expect(findToken({ queryStringParameters: {}, multiValueQueryStringParameters: {} }, at)).toEqual({ found: false, reason: "missing" });
    expect(findToken({ queryStringParameters: null, multiValueQueryStringParameters: null }, at)).toEqual({ found: false, reason: "missing" });
    // Parsed from JSON, as the Lambda runtime parses the event: `__proto__` is then an own key.
    const given = JSON.parse(`{"queryStringParameters":{"${name}":"${token}"},"multiValueQueryStringParameters":{"${name}":["${token}"]}}`);
    expect(findToken(given, at)).toEqual({ found: true, token });
    expect(findToken({ queryStringParameters: given.queryStringParameters }, at)).toEqual({ found: true, token });
  });
});

describe("isCompactJws", () => {
  it("accepts what a signer writes: unpadded base64url segments of any length but 4n+1", () => {
    expect(isCompactJws("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl")).toBe(true);
    expect(isCompactJws("aaaa.bbbb.cQ")).toBe(true);
    expect(isCompactJws("aaaa.bbbb.ccE")).toBe(true);
    expect(isCompactJws("aaaa.bbbb.ccF")).toBe(false);
  });
});

describe("selectSubprotocol", () => {
  it("selects the first application protocol so the token is not echoed", () => {
    expect(selectSubprotocol({ headers: { "Sec-WebSocket-Protocol": `${token}, json, chat` } })).toBe("json");
  });
  it("never selects (echoes) the token, even when it is all the client offered", () => {
    expect(selectSubprotocol({ headers: { "sec-websocket-protocol": token } })).toBeUndefined();
    expect(selectSubprotocol({ headers: { "sec-websocket-protocol": "aaaa.bbbb." } })).toBeUndefined();
  });
  it("reads every Sec-WebSocket-Protocol header the client sent", () => {
    expect(selectSubprotocol({ headers: { "Sec-WebSocket-Protocol": token }, multiValueHeaders: { "Sec-WebSocket-Protocol": ["chat", token] } })).toBe("chat");
  });
  it("selects nothing when nothing was offered", () => {
    expect(selectSubprotocol({ headers: { Host: "x" } })).toBeUndefined();
    expect(selectSubprotocol({})).toBeUndefined();
  });
});
