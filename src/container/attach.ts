// The client side of `attach` and `start -a`: connect to the monitor's attach.sock
// (attach-server.ts), write the container's stdout and stderr to ours, send our stdin, and end when
// the container's process does (its exit code) or when the user types the detach keys.
// With a terminal on both sides ours goes into raw mode, so every key (^C too) reaches the
// container's pty; without one, ^C is a signal to us, passed on to the container (--sig-proxy).
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { TsdockerError } from '../errors';
import { trace } from '../trace';
import { ATTACH_SOCKET } from './attach-server';
import { DetachScanner } from './detach-keys';
import { Frame, FrameReader, frame } from './stdcopy';

export interface AttachOptions {
  /** the container's directory, holding attach.sock */
  dir: string;
  /** send our stdin (attach without --no-stdin on a -i container; start -i) */
  stdin: boolean;
  /** the container has a terminal (-t) */
  tty: boolean;
  detachKeys: number[];
  /** pass SIGINT, SIGTERM, ... to this pid (the container's), when there is no terminal */
  sigProxyPid?: number;
}

/** Longest sun_path Linux accepts, without its final NUL (unix(7)). */
const SUN_PATH_MAX = 107;

/** connect(2) to a unix socket whose path may be longer than sun_path: through a relative name from
 *  the socket's directory. Node makes the connect call before net.connect returns. */
export function connectUnix(dir: string, name: string): net.Socket {
  const full = path.join(dir, name);
  if (Buffer.byteLength(full) <= SUN_PATH_MAX) return net.connect(full);
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    return net.connect(name);
  } finally {
    process.chdir(cwd);
  }
}

/** Resolves with the container's exit code, or 'detached' after the detach keys. */
export function attach(o: AttachOptions): Promise<number | 'detached'> {
  if (!fs.existsSync(path.join(o.dir, ATTACH_SOCKET))) {
    return Promise.reject(new TsdockerError('you cannot attach to a container that was not started with -d (it has no monitor)'));
  }
  trace('attach', `connect to ${path.join(o.dir, ATTACH_SOCKET)}`);
  const socket = connectUnix(o.dir, ATTACH_SOCKET);
  const raw = o.stdin && o.tty && process.stdin.isTTY === true;
  const scanner = new DetachScanner(o.detachKeys);
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'];
  const proxy = (sig: NodeJS.Signals) => {
    try {
      if (o.sigProxyPid) process.kill(o.sigProxyPid, sig);
    } catch {
      // already gone
    }
  };

  return new Promise((resolve, reject) => {
    let code: number | undefined;
    let detached = false;
    const onInput = (chunk: Buffer) => {
      const { forward, detach } = scanner.push(chunk);
      if (forward.length > 0) socket.write(frame(Frame.Stdin, forward));
      if (detach) {
        detached = true;
        trace('attach', 'detach keys: leave the container running');
        socket.end();
      }
    };
    const onInputEnd = () => socket.write(frame(Frame.StdinEof));
    const done = (err?: unknown) => {
      if (raw) process.stdin.setRawMode(false);
      if (o.stdin) {
        process.stdin.off('data', onInput);
        process.stdin.off('end', onInputEnd);
        process.stdin.pause();
      }
      for (const sig of signals) process.off(sig, proxy);
      if (err) reject(err);
      else if (detached) resolve('detached');
      else if (code !== undefined) resolve(code);
      else reject(new TsdockerError('the container\'s monitor went away before the container exited'));
    };

    const reader = new FrameReader();
    socket.on('data', (chunk: Buffer) => {
      for (const f of reader.push(chunk)) {
        if (f.kind === Frame.Stdout) process.stdout.write(f.payload);
        else if (f.kind === Frame.Stderr) process.stderr.write(f.payload);
        else if (f.kind === Frame.Exit) code = Number(f.payload.toString());
      }
    });
    socket.on('error', (err) => done(new TsdockerError(`attach: ${err.message}`)));
    socket.on('close', () => done());
    socket.on('connect', () => {
      if (o.stdin) {
        if (raw) process.stdin.setRawMode(true);
        process.stdin.on('data', onInput);
        process.stdin.on('end', onInputEnd);
        process.stdin.resume();
      }
      if (!o.tty) for (const sig of signals) process.on(sig, proxy);
    });
  });
}
