import { describe, expect, it } from "vitest";
import { findToken, selectSubprotocol } from "../../../functions/core/token-source.js";

const location = { queryParameter: "idToken", subprotocol: true };

describe("findToken", () => {
  it("reads the query parameter", () => {
    expect(findToken({ queryStringParameters: { idToken: "a.b.c" } }, location)).toEqual({ found: true, token: "a.b.c" });
  });

  it("reads a JWT-shaped subprotocol entry, whatever the header casing", () => {
    expect(findToken({ headers: { "SEC-WEBSOCKET-PROTOCOL": "json,  a.b.c" } }, location)).toEqual({ found: true, token: "a.b.c" });
  });

  it("ignores subprotocols when that path is off", () => {
    expect(findToken({ headers: { "Sec-WebSocket-Protocol": "a.b.c" } }, { ...location, subprotocol: false })).toEqual({ found: false, reason: "missing" });
  });

  it("treats an empty parameter as missing", () => {
    expect(findToken({ queryStringParameters: { idToken: "" } }, location)).toEqual({ found: false, reason: "missing" });
  });

  it("refuses to choose between different tokens", () => {
    expect(findToken({ multiValueQueryStringParameters: { idToken: ["a.b.c", "d.e.f"] } }, location)).toEqual({ found: false, reason: "ambiguous" });
    expect(findToken({ headers: { "Sec-WebSocket-Protocol": "a.b.c, d.e.f" } }, location)).toEqual({ found: false, reason: "ambiguous" });
    expect(findToken({ queryStringParameters: { idToken: "a.b.c" }, headers: { "Sec-WebSocket-Protocol": "d.e.f" } }, location)).toEqual({ found: false, reason: "ambiguous" });
  });

  it("refuses a repeated query parameter even with equal values", () => {
    expect(findToken({ multiValueQueryStringParameters: { idToken: ["a.b.c", "a.b.c"] } }, location)).toEqual({ found: false, reason: "ambiguous" });
  });

  it("accepts the same token offered both ways", () => {
    expect(findToken({ queryStringParameters: { idToken: "a.b.c" }, headers: { "sec-websocket-protocol": "a.b.c" } }, location)).toEqual({ found: true, token: "a.b.c" });
  });
});

describe("selectSubprotocol", () => {
  it("selects the first application protocol so the token is not echoed", () => {
    expect(selectSubprotocol({ "Sec-WebSocket-Protocol": "a.b.c, json, chat" })).toBe("json");
  });
  it("never selects (echoes) the token, even when it is all the client offered", () => {
    expect(selectSubprotocol({ "sec-websocket-protocol": "a.b.c" })).toBeUndefined();
  });
  it("selects nothing when nothing was offered", () => {
    expect(selectSubprotocol({ Host: "x" })).toBeUndefined();
    expect(selectSubprotocol(undefined)).toBeUndefined();
  });
});
