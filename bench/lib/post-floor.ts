/**
 * The floor under a resume on this machine: what posts cost when each waits for the one before it,
 * with nothing but Node in the way. Run as its own process, as the local stack is: a worker thread
 * (the function) posts each frame to an HTTP server on the main thread (the gateway), which answers
 * 200 and writes the frame to the WebSocket of a client in the measuring process. No signing, no
 * routing, no logging, no DynamoDB.
 *
 *   node --import tsx bench/lib/post-floor.ts POSTS BYTES
 *
 * prints `{"url":…}` once listening; then each line on stdin starts a round of POSTS posts, which
 * the client counts.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { Worker } from "node:worker_threads";
import { WebSocketServer, type WebSocket } from "ws";

/** The function's side, plain JavaScript so that the worker needs no loader: one post at a time on a kept-alive socket. */
const poster = `
const { request, Agent } = require("node:http");
const { parentPort, workerData: { port, posts, bytes } } = require("node:worker_threads");
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const body = "x".repeat(bytes);
const post = () => new Promise((resolve, reject) => {
  const outgoing = request({ host: "127.0.0.1", port, method: "POST", path: "/", agent, headers: { "content-length": String(bytes) } }, (response) => {
    response.resume();
    response.on("end", resolve);
  });
  outgoing.on("error", reject);
  outgoing.end(body);
});
parentPort.on("message", async () => { for (let i = 0; i < posts; i += 1) await post(); });
`;

const [posts, bytes] = process.argv.slice(2).map(Number) as [number, number];
let socket: WebSocket | undefined;
const server = createServer((incoming, response) => {
  const chunks: Buffer[] = [];
  incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
  incoming.on("end", () => {
    response.writeHead(200).end();
    socket?.send(Buffer.concat(chunks), { binary: false });
  });
});
new WebSocketServer({ server }).on("connection", (accepted) => (socket = accepted));
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const port = (server.address() as AddressInfo).port;
const worker = new Worker(poster, { eval: true, workerData: { port, posts, bytes } });
createInterface({ input: process.stdin }).on("line", () => worker.postMessage("go")).on("close", () => process.exit(0));
console.log(JSON.stringify({ url: `ws://127.0.0.1:${port}` }));
