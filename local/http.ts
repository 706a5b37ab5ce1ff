/** Small pieces of HTTP handling that the local servers share. */
import type { IncomingMessage } from "node:http";

/**
 * The request body, read to its end (so that the client sees the answer, not a reset), keeping at
 * most `limit` bytes; `size` counts every byte sent.
 */
export function readBody(request: IncomingMessage, limit: number): Promise<{ body: Buffer; size: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    request.on("end", () => resolve({ body: Buffer.concat(chunks), size }));
    request.on("error", reject);
  });
}

export function splitUrl(url: string): [path: string, search: string | undefined] {
  const index = url.indexOf("?");
  return index < 0 ? [url, undefined] : [url.slice(0, index), url.slice(index + 1)];
}

/** A URL path segment, decoded; undefined when its %-escapes are malformed. */
export function decodeSegment(encoded: string): string | undefined {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
}
