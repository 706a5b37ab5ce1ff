/**
 * The 2-hour handover: API Gateway closes every connection two hours after it opened. Shortly
 * before (5 minutes, or a quarter of a shorter limit), each connection is told once
 * `{"type":"reconnect","reason":"connection-limit","closeAt":…}`, so that its client can open a new
 * connection, resubscribe with `since`, and close the old one with nothing lost.
 */
import pMap from "p-map";
import type { FanOutDependencies } from "./fan-out.js";
import type { ConnectionStore, Delivery, Notifier } from "./ports.js";

export const handoverLeadMs = (connectionLimitMs: number): number => Math.min(5 * 60_000, connectionLimitMs / 4);

export const reconnectFrame = (closeAt: Date): string => JSON.stringify({ type: "reconnect", reason: "connection-limit", closeAt: closeAt.toISOString() });

export interface HandoverDependencies {
  readonly store: Pick<ConnectionStore, "dueForHandover" | "markHandover">;
  readonly notifier: Pick<Notifier, "send">;
  readonly concurrency: number;
  /** Ends the connections found gone, as a fan-out does (`FanOutDependencies.forget`). */
  readonly forget: FanOutDependencies["forget"];
}

export interface HandoverReport {
  told: number;
  gone: number;
  failed: number;
}

/** Tells every connection near its limit, once (a mark on its record keeps a later sweep from repeating it). */
export async function announceHandovers(nowMs: number, connectionLimitMs: number, { store, notifier, concurrency, forget }: HandoverDependencies): Promise<HandoverReport> {
  const report: HandoverReport = { told: 0, gone: 0, failed: 0 };
  const gone: string[] = [];
  const cutoff = nowMs - (connectionLimitMs - handoverLeadMs(connectionLimitMs));
  for await (const page of store.dueForHandover(cutoff)) {
    await pMap(
      page,
      async ({ connectionId, connectedAt }) => {
        if (!(await store.markHandover(connectionId, nowMs))) return;
        let delivery: Delivery;
        try {
          delivery = await notifier.send(connectionId, reconnectFrame(new Date(connectedAt + connectionLimitMs)));
        } catch {
          report.failed += 1;
          return;
        }
        if (delivery === "gone") gone.push(connectionId);
        else if (delivery === "throttled") report.failed += 1;
        else report.told += 1;
      },
      { concurrency },
    );
  }
  if (gone.length > 0) {
    await forget(gone);
    report.gone = gone.length;
  }
  return report;
}
