// `build` on the busybox fixture: the course's Dockerfile, one with every instruction, multi-stage
// COPY --from, the cache (change one file: only the steps from its COPY on rerun), and a failing
// RUN that stops the build, tags nothing and records no image. Images are checked by running them.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { setup, skip, tsdockerSync, hostSnapshot, type Env } from './run-support';

describe('build', { skip }, () => {
  let e: Env;
  let ctx: string;
  let server: ChildProcess | undefined;
  let url = '';
  before(async () => {
    e = await setup();
    ctx = fs.mkdtempSync(path.join(os.tmpdir(), 'tsdocker-build-'));
    // In a process of its own: the tests call tsdocker synchronously, which blocks this one.
    server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<string>((resolve) => server!.stdout!.once('data', (d) => resolve(String(d).trim())));
    url = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    server?.kill();
    if (ctx) fs.rmSync(ctx, { recursive: true, force: true });
    await e?.cleanup();
  });
  const ts = (args: string[]) => tsdockerSync(e, args);
  const ok = (args: string[]) => {
    const r = ts(args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const write = (dir: string, files: Record<string, string>) => {
    fs.rmSync(dir, { recursive: true, force: true });
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
    return dir;
  };
  const steps = (out: string) => out.split('\n').filter((l) => l.startsWith('Step '));
  const cached = (out: string) => out.split('\n').filter((l) => l === ' ---> Using cache').length;

  test("the course's Dockerfile: FROM, RUN, COPY, CMD; cache hits and misses", () => {
    const dir = write(path.join(ctx, 'course'), {
      'Dockerfile': `FROM ${e.image}\nRUN echo built > /built\nCOPY app.sh /app/\nCOPY data /app/data\nRUN cat /app/data/x > /copied\nCMD ["sh", "/app/app.sh"]\n`,
      'app.sh': 'cat /built /copied; echo app v1\n',
      'data/x': 'x1\n',
    });
    const first = ok(['build', '-t', 'course:1', dir]);
    assert.deepEqual(steps(first), [`Step 1/6 : FROM ${e.image}`, 'Step 2/6 : RUN echo built > /built', 'Step 3/6 : COPY app.sh /app/',
      'Step 4/6 : COPY data /app/data', 'Step 5/6 : RUN cat /app/data/x > /copied', 'Step 6/6 : CMD ["sh", "/app/app.sh"]']);
    assert.match(first, / ---> Running in [a-f0-9]{12}\n/);
    assert.match(first, /Successfully built [a-f0-9]{12}\nSuccessfully tagged course:1\n$/);
    assert.equal(cached(first), 0);
    assert.equal(ok(['run', '--rm', 'course:1']), 'built\nx1\napp v1\n');

    // Nothing changed: every step from the cache, no container run, the same image.
    const again = ok(['build', '-t', 'course:1', dir]);
    assert.equal(cached(again), 5);
    assert.doesNotMatch(again, /Running in/);
    assert.equal(again.match(/Successfully built (\w+)/)![1], first.match(/Successfully built (\w+)/)![1]);

    // One file changed: its COPY and the steps after it rerun, the ones before come from the cache.
    fs.writeFileSync(path.join(dir, 'data/x'), 'x2\n');
    const changed = ok(['build', '-t', 'course:2', dir]);
    const lines = changed.split('\n');
    const after = (step: string) => lines[lines.indexOf(step) + 1];
    assert.equal(after('Step 2/6 : RUN echo built > /built'), ' ---> Using cache');
    assert.equal(after('Step 3/6 : COPY app.sh /app/'), ' ---> Using cache');
    assert.notEqual(after('Step 4/6 : COPY data /app/data'), ' ---> Using cache');
    assert.match(after('Step 5/6 : RUN cat /app/data/x > /copied'), /Running in/);
    assert.equal(ok(['run', '--rm', 'course:2']), 'built\nx2\napp v1\n');
    assert.equal(ok(['run', '--rm', 'course:1']), 'built\nx1\napp v1\n');

    // --no-cache runs everything again.
    assert.equal(cached(ok(['build', '--no-cache', dir])), 0);
  });

  test('every instruction; ARG, .dockerignore, ADD of an archive and a URL, ONBUILD in a child', () => {
    const dir = write(path.join(ctx, 'all'), {
      'Dockerfile': [
        '# syntax=docker/dockerfile:1',
        'ARG BASE',
        'FROM ${BASE}',
        'LABEL course="systems" version=1',
        'MAINTAINER Teacher <t@example.org>',
        'ARG WHO=world',
        'ENV GREETING=hello \\',
        '    PATH=/usr/local/bin:$PATH',
        'WORKDIR /srv',
        'WORKDIR app',
        'COPY --chown=student:student *.txt ./',
        'COPY --chmod=0755 tool.sh /usr/local/bin/tool',
        'ADD bundle.tar.gz /opt/',
        `ADD ${url}/files/remote.txt /opt/`,
        'RUN ["sh", "-c", "echo $GREETING $WHO > /srv/app/said"]',
        'SHELL ["/bin/sh", "-ec"]',
        'RUN test "$(stat -c %U /srv/app/a.txt)" = student && ! test -e /srv/app/skip.txt',
        'USER student',
        'RUN id -u > /tmp/uid',
        'EXPOSE 8080/tcp 53/udp',
        'VOLUME /data',
        'STOPSIGNAL SIGTERM',
        'HEALTHCHECK --interval=5s --timeout=2s CMD true',
        'ONBUILD RUN echo triggered > /tmp/onbuild',
        'ENTRYPOINT ["tool"]',
        'CMD ["default"]',
      ].join('\n'),
      'a.txt': 'a\n',
      'skip.txt': 'ignored\n',
      'tool.sh': '#!/bin/sh\necho "tool $* $GREETING $(cat /srv/app/said) $(cat /opt/inner/f) $(stat -c %a:%Y /opt/remote.txt) $(cat /tmp/uid)"\n',
      '.dockerignore': '# comment\nskip.txt\n',
    });
    fs.mkdirSync(path.join(ctx, 'tarsrc/inner'), { recursive: true });
    fs.writeFileSync(path.join(ctx, 'tarsrc/inner/f'), 'from-tar');
    assert.equal(spawnSync('tar', ['-czf', path.join(dir, 'bundle.tar.gz'), '-C', path.join(ctx, 'tarsrc'), 'inner']).status, 0);

    const out = ok(['build', '--build-arg', `BASE=${e.image}`, '-t', 'all:1', '-t', 'all:latest', dir]);
    assert.match(out, /Successfully tagged all:1\nSuccessfully tagged all:latest\n$/);
    assert.equal(ok(['run', '--rm', 'all:1']), 'tool default hello hello world from-tar 600:1445412480 1000\n');
    assert.equal(ok(['run', '--rm', '-u', 'root', '--entrypoint', 'cat', 'all:1', '/opt/remote.txt']), 'from the web\n');
    const [img] = JSON.parse(ok(['image', 'inspect', 'all:1']));
    const c = img.Config;
    assert.deepEqual(c.Labels, { course: 'systems', version: '1' });
    assert.equal(img.Author, 'Teacher <t@example.org>');
    assert.equal(c.WorkingDir, '/srv/app');
    assert.equal(c.User, 'student');
    assert.deepEqual(Object.keys(c.ExposedPorts).sort(), ['53/udp', '8080/tcp']);
    assert.deepEqual(Object.keys(c.Volumes), ['/data']);
    assert.equal(c.StopSignal, 'SIGTERM');
    assert.deepEqual(c.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 5e9, Timeout: 2e9 });
    assert.deepEqual(c.OnBuild, ['RUN echo triggered > /tmp/onbuild']);
    assert.deepEqual(c.Shell, ['/bin/sh', '-ec']);
    assert.ok(!c.Env.some((v: string) => v.startsWith('WHO=')), 'ARG values are not kept in the image');

    const child = write(path.join(ctx, 'child'), { 'Dockerfile': 'FROM all:1\nUSER root\n' });
    const childOut = ok(['build', '-t', 'child:1', child]);
    assert.match(childOut, /# Executing 1 build trigger/);
    assert.equal(ok(['run', '--rm', '--entrypoint', 'cat', 'child:1', '/tmp/onbuild']), 'triggered\n');
  });

  test('multi-stage: COPY --from a named stage and by index, --target', () => {
    const dir = write(path.join(ctx, 'multi'), {
      'Dockerfile': [
        `FROM ${e.image} AS builder`,
        'RUN mkdir /out && echo compiled > /out/prog && echo junk > /junk',
        `FROM ${e.image} AS test`,
        'RUN echo tested > /tested',
        'FROM scratch',
        'COPY --from=builder /out/prog /prog',
        'COPY --from=0 /bin/busybox /bin/busybox',
        'CMD ["/bin/busybox", "cat", "/prog"]',
      ].join('\n'),
    });
    const out = ok(['build', '-t', 'multi:1', dir]);
    assert.equal(steps(out).length, 8);
    assert.equal(ok(['run', '--rm', 'multi:1']), 'compiled\n');
    const ls = ts(['run', '--rm', 'multi:1', '/bin/busybox', 'ls', '/junk']);
    assert.notEqual(ls.status, 0, 'the final stage has only what was copied');
    const [img] = JSON.parse(ok(['image', 'inspect', 'multi:1']));
    assert.equal(img.RootFS.Layers.length, 2);

    const target = ok(['build', '--target', 'test', '-t', 'multi:test', dir]);
    assert.equal(steps(target).length, 4);
    assert.equal(ok(['run', '--rm', 'multi:test', 'cat', '/tested']), 'tested\n');
    assert.match(ts(['build', '--target', 'nope', dir]).stderr, /target stage "nope" could not be found/);
  });

  test('-q prints only the image id: RUN output goes with the rest of the build output', () => {
    const dir = path.join(ctx, 'quiet');
    write(dir, { Dockerfile: `FROM ${e.image}\nRUN echo from-run; echo from-run-stderr >&2\n` });
    const r = ts(['build', '-q', '--no-cache', dir]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
    assert.equal(r.stderr, '');
  });

  test('a failing RUN stops the build with the step, command and exit code; nothing is tagged', () => {
    const dir = write(path.join(ctx, 'fail'), {
      'Dockerfile': `FROM ${e.image}\nCOPY f /f\nRUN echo before; exit 3\nRUN echo never\n`,
      'f': 'f\n',
    });
    const before = ok(['images', '-q', '--no-trunc']);
    const snap = hostSnapshot(e);
    const r = ts(['build', '-t', 'broken:1', dir]);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /before\n/);
    assert.doesNotMatch(r.stdout, /never|Successfully/);
    assert.equal(r.stderr, "tsdocker: Dockerfile:3: Step 3/4 : RUN echo before; exit 3: the command '/bin/sh -c echo before; exit 3' returned a non-zero code: 3\n");
    assert.equal(ok(['images', '-q', '--no-trunc']), before);
    assert.equal(ts(['image', 'inspect', 'broken:1']).status, 125);
    assert.equal(ok(['ps', '-aq']), '', 'the RUN container is removed');
    assert.deepEqual(hostSnapshot(e), snap);
    assert.deepEqual(fs.readdirSync(path.join(e.root, 'tmp')).filter((n) => !n.startsWith('trash')), []);

    const parse = ts(['build', '-f', path.join(dir, 'Bad'), dir]);
    assert.equal(parse.status, 125);
    assert.match(parse.stderr, /read the Dockerfile/);
    fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${e.image}\nRUNN x\n`);
    assert.equal(ts(['build', dir]).stderr, 'tsdocker: Dockerfile:2: unknown instruction: RUNN\n');
    fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${e.image}\nCOPY missing /m\n`);
    assert.match(ts(['build', dir]).stderr, /Dockerfile:2: .*file not found in build context/);
  });
});

const SERVER = `
  const server = require('node:http').createServer((req, res) => {
    if (req.url === '/files/remote.txt') {
      res.writeHead(200, { 'Last-Modified': 'Wed, 21 Oct 2015 07:28:00 GMT' });
      res.end('from the web\\n');
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;
