// Framing on the attach socket (<root>/containers/<id>/attach.sock), in the format of Docker's
// attach stream (moby pkg/stdcopy): an 8-byte header, then the payload,
//
//   byte 0: stream   bytes 1-3: zero   bytes 4-7: payload length, big-endian u32
//
// so one connection carries stdout and stderr apart. tsdocker adds three frame kinds of its own:
// the client sends STDIN (data for the container) and STDIN_EOF (close the container's stdin); the
// monitor sends EXIT (payload: the exit code as text) when the container's process has ended.
export const enum Frame {
  Stdin = 0,
  Stdout = 1,
  Stderr = 2,
  StdinEof = 5,
  Exit = 6,
}

const HEADER = 8;

export function frame(kind: Frame, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(HEADER);
  header[0] = kind;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** Splits a byte stream into frames; feed it chunks as they arrive. */
export class FrameReader {
  private buffered = Buffer.alloc(0);

  push(chunk: Buffer): { kind: Frame; payload: Buffer }[] {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    const out: { kind: Frame; payload: Buffer }[] = [];
    while (this.buffered.length >= HEADER) {
      const length = this.buffered.readUInt32BE(4);
      if (this.buffered.length < HEADER + length) break;
      out.push({ kind: this.buffered[0] as Frame, payload: this.buffered.subarray(HEADER, HEADER + length) });
      this.buffered = this.buffered.subarray(HEADER + length);
    }
    return out;
  }
}
