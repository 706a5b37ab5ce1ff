/** In-memory adapters for the core's ports. */
import { handshakeGraceMs, type ConnectionRecord, type ConnectionStore, type Delivery, type Notifier } from "../../functions/core/ports.js";

export class InMemoryStore implements ConnectionStore {
  readonly records = new Map<string, ConnectionRecord>();
  /** Ids yielded per page, to exercise paging. */
  constructor(private readonly pageSize = 3) {}

  async save(record: ConnectionRecord) {
    this.records.set(record.connectionId, record);
  }
  async remove(connectionId: string) {
    this.records.delete(connectionId);
  }
  async removeStale(connectionId: string) {
    const record = this.records.get(connectionId);
    if (record && record.connectedAt < Date.now() - handshakeGraceMs) this.records.delete(connectionId);
  }
  allConnectionIds() {
    return this.pages([...this.records.keys()]);
  }
  expiredConnectionIds(nowSeconds: number) {
    return this.pages([...this.records.values()].filter((record) => record.tokenExpiresAt < nowSeconds).map((record) => record.connectionId));
  }
  connectionIdsOfUser(userId: string) {
    return this.pages([...this.records.values()].filter((record) => record.userId === userId).map((record) => record.connectionId));
  }
  private async *pages(ids: string[]) {
    for (let i = 0; i < ids.length; i += this.pageSize) yield ids.slice(i, i + this.pageSize);
  }
}

export class RecordingNotifier implements Notifier {
  readonly sent: [string, string][] = [];
  readonly gone = new Set<string>();
  readonly failing = new Map<string, Error>();
  inFlight = 0;
  peakInFlight = 0;

  readonly closed: string[] = [];

  async close(connectionId: string): Promise<Delivery> {
    const failure = this.failing.get(connectionId);
    if (failure) throw failure;
    if (this.gone.has(connectionId)) return "gone";
    this.closed.push(connectionId);
    return "delivered";
  }

  async send(connectionId: string, data: string): Promise<Delivery> {
    this.inFlight += 1;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    await new Promise((resolve) => setTimeout(resolve, 1));
    this.inFlight -= 1;
    const failure = this.failing.get(connectionId);
    if (failure) throw failure;
    if (this.gone.has(connectionId)) return "gone";
    this.sent.push([connectionId, data]);
    return "delivered";
  }
}

export const record = (connectionId: string, userId = "user-1", tokenExpiresAt = 0): ConnectionRecord => ({
  connectionId,
  userId,
  username: userId,
  connectedAt: 0,
  tokenExpiresAt,
  ttl: 0,
});
