/**
 * API Gateway closes a connection with 1009 when one frame exceeds 32 KB or one message (all its
 * fragments) exceeds 128 KB. `ws` only knows a per-message limit (`maxPayload`), so this reads
 * the frame headers of the raw client bytes, ahead of `ws`, and reports the first breach.
 */
export interface SizeLimits {
  readonly frameBytes: number;
  readonly messageBytes: number;
}

/** Returns a `data` listener for the client socket; `onTooBig` is called at most once. */
export function createFrameGuard(limits: SizeLimits, onTooBig: () => void): (chunk: Buffer) => void {
  let header = Buffer.alloc(0);
  let payloadLeft = 0;
  let messageSize = 0;
  let tripped = false;

  return (chunk) => {
    let offset = 0;
    while (!tripped && offset < chunk.length) {
      if (payloadLeft > 0) {
        const skipped = Math.min(payloadLeft, chunk.length - offset);
        payloadLeft -= skipped;
        offset += skipped;
        continue;
      }
      const wanted = headerLength(header) - header.length;
      header = Buffer.concat([header, chunk.subarray(offset, offset + wanted)]);
      offset += Math.min(wanted, chunk.length - offset);
      if (header.length < headerLength(header)) continue;

      const fin = (header[0]! & 0x80) !== 0;
      const opcode = header[0]! & 0x0f;
      const length = payloadLength(header);
      header = Buffer.alloc(0);
      payloadLeft = length;
      // Control frames (opcode 8+) may arrive between the fragments of a message.
      if (opcode < 0x08) messageSize = (opcode === 0x00 ? messageSize : 0) + length;
      if (length > limits.frameBytes || messageSize > limits.messageBytes) {
        tripped = true;
        onTooBig();
      }
      if (fin && opcode < 0x08) messageSize = 0;
    }
  };
}

/** 2 bytes, then 2 or 8 bytes of extended length, then the 4-byte mask when set. */
function headerLength(header: Buffer): number {
  if (header.length < 2) return 2;
  const length7 = header[1]! & 0x7f;
  const extended = length7 === 126 ? 2 : length7 === 127 ? 8 : 0;
  return 2 + extended + ((header[1]! & 0x80) !== 0 ? 4 : 0);
}

function payloadLength(header: Buffer): number {
  const length7 = header[1]! & 0x7f;
  if (length7 === 126) return header.readUInt16BE(2);
  if (length7 === 127) return Number(header.readBigUInt64BE(2));
  return length7;
}
