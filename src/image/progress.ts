// Per-layer pull progress, as Docker shows it. On a terminal each layer has one line that is
// redrawn in place ("a307d6ecc620: Downloading [=====>      ] 1.2MB/3.4MB"); otherwise (a log, CI)
// one plain line is printed each time a layer changes state, never a line per chunk.
import { humanSize } from '../format';

interface Line {
  id: string;
  status: string;
  current?: number;
  total?: number;
}

export class Progress {
  private lines: Line[] = [];
  private drawn = 0;
  private lastDraw = 0;

  constructor(private out: NodeJS.WritableStream & { isTTY?: boolean }, private quiet = false) {}

  private get tty(): boolean {
    return Boolean(this.out.isTTY);
  }

  /** Print a line that is not about one layer ("Digest: ...", "Status: ..."). */
  say(text: string): void {
    if (this.quiet) return;
    this.flush();
    this.out.write(text + '\n');
  }

  update(id: string, status: string, current?: number, total?: number): void {
    if (this.quiet) return;
    let line = this.lines.find((l) => l.id === id);
    const changed = !line || line.status !== status;
    if (!line) {
      line = { id, status };
      this.lines.push(line);
    }
    Object.assign(line, { status, current, total });
    if (this.tty) {
      // Redraw at most every 100 ms for byte counts, at once for a change of state.
      const now = Date.now();
      if (changed || now - this.lastDraw > 100) this.redraw(now);
    } else if (changed) {
      this.out.write(`${id}: ${status}\n`);
    }
  }

  /** Leave the terminal lines as they are; later output goes below them. */
  flush(): void {
    if (this.tty && this.lines.length) this.redraw(Date.now());
    this.lines = [];
    this.drawn = 0;
  }

  private redraw(now: number): void {
    this.lastDraw = now;
    let text = this.drawn ? `\x1b[${this.drawn}A` : '';
    for (const l of this.lines) text += `\x1b[2K${l.id}: ${l.status}${bar(l)}\n`;
    this.drawn = this.lines.length;
    this.out.write(text);
  }
}

function bar(l: Line): string {
  if (l.current === undefined || !l.total) return '';
  const width = 50;
  const done = Math.min(width, Math.floor((l.current / l.total) * width));
  const arrow = done < width ? '>' : '';
  const fill = '='.repeat(Math.max(0, done - arrow.length)) + arrow;
  return ` [${fill.padEnd(width)}]  ${humanSize(l.current)}/${humanSize(l.total)}`;
}
