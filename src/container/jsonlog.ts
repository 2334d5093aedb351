// The container's log in Docker's json-file format (moby daemon/logger/jsonfilelog): one JSON object
// per line of output,
//   {"log":"hello\n","stream":"stdout","time":"2024-05-01T10:00:00.123456789Z"}
// kept at <root>/containers/<id>/<id>-json.log. The monitor (monitor.ts) writes it; `logs` reads it.
// A line longer than 16 KiB is cut into pieces without "\n" (Docker's partial messages), and the
// last piece of a stream that ends without a newline is written as it is.
import * as path from 'node:path';

export type Stream = 'stdout' | 'stderr';

export interface LogEntry {
  log: string;
  stream: Stream;
  /** RFC 3339 with nanoseconds, UTC (Go's time.RFC3339Nano) */
  time: string;
}

/** Docker's buffer size for one log message (moby daemon/logger/copier.go). */
const MAX_LINE = 16 * 1024;

export function logPath(dir: string, id: string): string {
  return path.join(dir, `${id}-json.log`);
}

// Date has milliseconds only; the monotonic clock adds the nanoseconds since a fixed wall-clock point.
const wallAtStart = BigInt(Date.now()) * 1_000_000n;
const monoAtStart = process.hrtime.bigint();

export function nowNanos(): bigint {
  return wallAtStart + (process.hrtime.bigint() - monoAtStart);
}

/** Go's RFC3339Nano: "2024-05-01T10:00:00.123456789Z", trailing zeros of the fraction dropped. */
export function rfc3339Nano(nanos: bigint): string {
  const ms = Number(nanos / 1_000_000n);
  const base = new Date(ms).toISOString().slice(0, 19);
  const fraction = (nanos % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${base}${fraction ? '.' + fraction : ''}Z`;
}

/** Nanoseconds since the epoch of an RFC 3339 time with up to 9 fraction digits. */
export function parseRfc3339(time: string): bigint | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (!m) return undefined;
  const seconds = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(seconds)) return undefined;
  return BigInt(seconds) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** Cuts one stream's bytes into log lines; a UTF-8 character split across reads is kept whole. */
export class LineSplitter {
  private pending = Buffer.alloc(0);

  constructor(private readonly stream: Stream, private readonly emit: (e: LogEntry) => void) {}

  push(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    for (;;) {
      const nl = this.pending.indexOf(0x0a);
      if (nl !== -1 && nl < MAX_LINE) {
        this.out(this.pending.subarray(0, nl + 1));
        this.pending = this.pending.subarray(nl + 1);
      } else if (this.pending.length >= MAX_LINE) {
        const cut = utf8Boundary(this.pending, MAX_LINE);
        this.out(this.pending.subarray(0, cut));
        this.pending = this.pending.subarray(cut);
      } else {
        return;
      }
    }
  }

  /** The stream has ended: what is left is a last line without a newline. */
  end(): void {
    if (this.pending.length > 0) this.out(this.pending);
    this.pending = Buffer.alloc(0);
  }

  private out(bytes: Buffer): void {
    this.emit({ log: bytes.toString('utf8'), stream: this.stream, time: rfc3339Nano(nowNanos()) });
  }
}

/** The largest cut at or before `max` that does not split a UTF-8 sequence. */
function utf8Boundary(buf: Buffer, max: number): number {
  let cut = max;
  while (cut > max - 4 && cut > 0 && (buf[cut] & 0xc0) === 0x80) cut--;
  return cut > 0 ? cut : max;
}

export function formatEntry(e: LogEntry): string {
  return JSON.stringify({ log: e.log, stream: e.stream, time: e.time }) + '\n';
}

/** The entries of complete lines of a log file's text; a torn last line (being written) is left. */
export function parseEntries(text: string): { entries: LogEntry[]; rest: string } {
  const lines = text.split('\n');
  const rest = lines.pop() ?? '';
  const entries: LogEntry[] = [];
  for (const line of lines) {
    if (line === '') continue;
    try {
      const e = JSON.parse(line) as LogEntry;
      if (typeof e.log === 'string' && (e.stream === 'stdout' || e.stream === 'stderr')) entries.push(e);
    } catch {
      // A line cut short by a crash of the monitor: skip it, as Docker's reader does.
    }
  }
  return { entries, rest };
}

/**
 * `--since` and `--until`: an RFC 3339 time ("2024-05-01T10:00:00Z", also without seconds or zone),
 * a Unix time ("1714557600" or "1714557600.5"), or a duration before now ("10m", "1h30m", "5s").
 * Returns nanoseconds since the epoch (moby api/types/time GetTimestamp).
 */
export function parseTimeFilter(value: string, nowMs = Date.now()): bigint | undefined {
  if (/^\d+(\.\d{1,9})?$/.test(value)) {
    const [s, f = ''] = value.split('.');
    return BigInt(s) * 1_000_000_000n + BigInt(f.padEnd(9, '0'));
  }
  const duration = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(value);
  if (duration && value !== '') {
    const ms = (Number(duration[1] ?? 0) * 3600 + Number(duration[2] ?? 0) * 60 + Number(duration[3] ?? 0)) * 1000;
    return BigInt(Math.round(nowMs - ms)) * 1_000_000n;
  }
  let t = value;
  if (/^\d{4}-\d\d-\d\d$/.test(t)) t += 'T00:00:00';
  if (/T\d\d:\d\d$/.test(t)) t += ':00';
  if (!/(Z|[+-]\d\d:\d\d)$/.test(t)) t += 'Z';
  return parseRfc3339(t);
}
