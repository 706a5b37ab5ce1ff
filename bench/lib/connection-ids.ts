/**
 * API Gateway-shaped connection ids for the fan-out model (base64, ending in "="). One in
 * `staleEvery` decodes to a string starting with "g": bench/lib/management-endpoint.ts answers 410
 * `GoneException` for those.
 */
export function connectionIds(count: number, { prefix = "", staleEvery = 10 }: { prefix?: string; staleEvery?: number } = {}): string[] {
  return Array.from({ length: count }, (_, i) =>
    Buffer.from(`${staleEvery > 0 && i % staleEvery === 0 ? "g" : "c"}${prefix}${String(i).padStart(10, "0")}`).toString("base64"),
  );
}

export const isStale = (connectionId: string): boolean => Buffer.from(connectionId, "base64").toString().startsWith("g");
