declare module "ws" {
  /** The `Sec-WebSocket-Protocol` parser that `handleUpgrade` applies; ws exports it, @types/ws omits it. */
  export const subprotocol: {
    /** The offered names; throws SyntaxError for a list the upgrade refuses with 400. */
    parse(header: string): Set<string>;
  };
}
export {};
