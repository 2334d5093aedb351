// exec without root: its command line, the new process's spec, and the helper's join-mode messages.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { trailingCommand } from '../../src/cli/args';
import { parseCommandLine } from '../../src/cli/main';
import { execProcess, type ExecOptions } from '../../src/container/exec';
import type { ContainerRecord } from '../../src/container/types';
import { CLONE_NEWNS, CLONE_NEWPID } from '../../src/runtime/namespaces';
import { joinMessages } from '../../src/runtime/exec';
import { MessageType } from '../../src/runtime/protocol';
import type { Process, RuntimeSpec } from '../../src/runtime/spec';

test('exec\'s own flags end at the container name; the rest is the command, flags and all', () => {
  const exec = (...argv: string[]) => parseCommandLine(argv).args;
  const a = exec('exec', '-it', '-e', 'A=1', 'web', 'ls', '-la');
  assert.equal(a.container, 'web');
  assert.deepEqual(trailingCommand(a), ['ls', '-la']);
  assert.deepEqual([a.interactive, a.tty, a.env], [true, true, 'A=1']);

  const b = exec('--root', '/r', 'exec', '-u', 'x', '-w=/tmp', 'web', 'sh', '-c', 'echo -e hi');
  assert.deepEqual([b.root, b.user, b.workdir, b.container], ['/r', 'x', '/tmp', 'web']);
  assert.deepEqual(trailingCommand(b), ['sh', '-c', 'echo -e hi']);

  // A group of shorthands may end in one that takes a value: -iu student is -i -u student.
  const c = exec('exec', '-iu', 'student', 'web', 'id', '--help');
  assert.deepEqual([c.interactive, c.user, c.container], [true, 'student', 'web']);
  assert.deepEqual(trailingCommand(c), ['id', '--help']);
});

const container: Process = {
  user: { uid: 0, gid: 0 }, args: ['sleep', '1000'], cwd: '/', env: ['PATH=/bin', 'HOME=/root'],
  capabilities: { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] },
  noNewPrivileges: true,
};

function record(): ContainerRecord {
  return {
    Id: 'a'.repeat(64), Name: 'web', Created: '', Image: '', Path: 'sleep', Args: ['1000'],
    Config: { Hostname: 'abc', Domainname: '', User: '', AttachStdin: false, AttachStdout: true, AttachStderr: true,
      Tty: false, OpenStdin: false, StdinOnce: false, Env: ['PATH=/usr/bin:/bin', 'FROM_RUN=1'], Cmd: null, Image: 'busybox',
      Volumes: null, WorkingDir: '/srv', Entrypoint: null, Labels: {} },
  } as unknown as ContainerRecord;
}

function options(edit: Partial<ExecOptions> = {}): ExecOptions {
  return { container: 'web', args: ['env'], interactive: false, tty: false, detach: false, env: [], envFiles: [],
    privileged: false, ...edit };
}

function rootfs(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-exec-unit-'));
  fs.mkdirSync(path.join(dir, 'etc'));
  fs.writeFileSync(path.join(dir, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\nstudent:x:1000:1000::/home/student:/bin/sh\n');
  fs.writeFileSync(path.join(dir, 'etc/group'), 'root:x:0:\nstudent:x:1000:\nstaff:x:50:student\n');
  return dir;
}

test('the exec process: the container\'s env then -e, its cwd, its user, its capabilities', () => {
  const dir = rootfs();
  try {
    const p = execProcess(options({ env: ['FROM_RUN=2', 'X=y'], tty: true }), record(), container, dir);
    assert.deepEqual(p.env, ['PATH=/usr/bin:/bin', 'HOSTNAME=abc', 'TERM=xterm', 'FROM_RUN=2', 'X=y', 'HOME=/root']);
    assert.equal(p.cwd, '/srv');
    assert.deepEqual(p.user, { uid: 0, gid: 0 });
    assert.deepEqual(p.capabilities, container.capabilities);
    assert.equal(p.noNewPrivileges, true);
    assert.equal(p.terminal, true);

    const s = execProcess(options({ user: 'student', workdir: '/tmp' }), record(), container, dir);
    assert.deepEqual(s.user, { uid: 1000, gid: 1000, additionalGids: [50] });
    assert.equal(s.cwd, '/tmp');
    assert.ok(s.env?.includes('HOME=/home/student'));

    const priv = execProcess(options({ privileged: true }), record(), container, dir);
    assert.ok(priv.capabilities?.effective?.includes('CAP_KILL'));
    assert.ok((priv.capabilities?.effective?.length ?? 0) > 1);

    assert.throws(() => execProcess(options({ workdir: 'tmp' }), record(), container, dir),
      /the working directory 'tmp' is invalid, it needs to be an absolute path/);
    assert.throws(() => execProcess(options({ user: 'nobody' }), record(), container, dir), /unable to find user nobody/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('join messages name /proc/<pid>/ns files, JOIN, and the process; no ROOTFS', () => {
  const spec = { ociVersion: '1.0.2', process: container, root: { path: 'rootfs' },
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }] } } as RuntimeSpec;
  const m = joinMessages({ pid: 42, spec, process: { ...container, args: ['id'] }, stdin: true, detach: false });
  assert.deepEqual(m.slice(0, 4), [
    { type: MessageType.Namespace, flag: CLONE_NEWPID, path: '/proc/42/ns/pid' },
    { type: MessageType.Namespace, flag: CLONE_NEWNS, path: '/proc/42/ns/mnt' },
    { type: MessageType.Join, pid: 42, detach: false },
    { type: MessageType.Arg, value: 'id' },
  ]);
  assert.ok(!m.some((x) => x.type === MessageType.Rootfs));
  assert.deepEqual(m.find((x) => x.type === MessageType.Process),
    { type: MessageType.Process, terminal: false, stdin: true, init: false, noNewPrivileges: true });
  assert.equal(m[m.length - 1].type, MessageType.End);
});
