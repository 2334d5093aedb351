// The monitor's side of `attach` and `start -a`: a unix socket (unix(7)) in the container's
// directory, attach.sock, that any number of clients connect to. Each client gets the container's
// output as it is written (stdout and stderr framed apart, stdcopy.ts) and may send input for its
// stdin. The directory is mode 0700, so only root can connect.
//
// A socket's path is limited to 108 bytes (sun_path), and <root>/containers/<64 hex>/attach.sock
// easily exceeds it; so the monitor works in the container's directory and binds the relative name,
// and the client does the same (attach.ts).
import * as fs from 'node:fs';
import * as net from 'node:net';
import type { Writable } from 'node:stream';
import { trace } from '../trace';
import { Frame, FrameReader, frame } from './stdcopy';

export const ATTACH_SOCKET = 'attach.sock';

export class AttachServer {
  private readonly clients = new Set<net.Socket>();
  private readonly server: net.Server;
  private firstClient?: () => void;
  /** the container's stdin while it runs with -i; client input is written here */
  stdin?: Writable;

  /** onStdinEof: a client's own stdin ended (`echo x | tsdocker attach`). */
  constructor(private readonly onStdinEof: () => void) {
    this.server = net.createServer((socket) => this.accept(socket));
  }

  /** Bind attach.sock in the current directory (the container's), replacing a stale one. */
  listen(): Promise<void> {
    fs.rmSync(ATTACH_SOCKET, { force: true });
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(ATTACH_SOCKET, () => {
        this.server.off('error', reject);
        trace('attach', `listening on ${process.cwd()}/${ATTACH_SOCKET}`);
        resolve();
      });
    });
  }

  /** Resolves when the first client has connected (`start -a` attaches before the process starts). */
  waitForClient(): Promise<void> {
    if (this.clients.size > 0) return Promise.resolve();
    return new Promise((resolve) => { this.firstClient = resolve; });
  }

  private accept(socket: net.Socket): void {
    this.clients.add(socket);
    const reader = new FrameReader();
    socket.on('data', (chunk: Buffer) => {
      for (const f of reader.push(chunk)) {
        if (f.kind === Frame.Stdin) this.stdin?.write(f.payload);
        else if (f.kind === Frame.StdinEof) this.onStdinEof();
      }
    });
    // A client that detaches (Ctrl-P Ctrl-Q) or dies just goes away; the container runs on.
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.clients.delete(socket));
    this.firstClient?.();
    this.firstClient = undefined;
  }

  send(kind: Frame.Stdout | Frame.Stderr, data: Buffer): void {
    for (const c of this.clients) c.write(frame(kind, data));
  }

  /** The container's process has ended: tell every client its exit code and let them go. */
  exited(code: number): void {
    for (const c of this.clients) c.end(frame(Frame.Exit, String(code)));
    this.clients.clear();
  }

  close(): void {
    for (const c of this.clients) c.destroy();
    this.server.close();
    fs.rmSync(ATTACH_SOCKET, { force: true });
  }
}
