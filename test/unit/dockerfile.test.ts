// The Dockerfile parser, variable substitution and .dockerignore patterns, including malformed files.
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseDockerfile, splitStages } from '../../src/build/dockerfile';
import { applyMetadata, durationNs, type BuildImageConfig } from '../../src/build/metadata';
import { processWord, processWords } from '../../src/build/words';
import { globRegExp } from '../../src/build/context';

const parse = (text: string) => parseDockerfile(text).instructions;

describe('dockerfile parser', () => {
  test('comments, continuations, case, JSON and shell forms, flags', () => {
    const ins = parse([
      '# a comment',
      'from busybox AS Base',
      'RUN echo one \\',
      '  # a comment inside is dropped',
      '  two',
      '',
      'CMD ["echo", "hi"]',
      'ENTRYPOINT [not json',
      'COPY --from=base --chown=1:2 /a /b',
    ].join('\n'));
    assert.deepEqual(ins.map((i) => [i.keyword, i.line]), [['FROM', 2], ['RUN', 3], ['CMD', 7], ['ENTRYPOINT', 8], ['COPY', 9]]);
    assert.equal(ins[1].args, 'echo one   two');
    assert.equal(ins[1].json, undefined);
    assert.deepEqual(ins[2].json, ['echo', 'hi']);
    assert.equal(ins[3].json, undefined);
    assert.equal(ins[4].flags.get('from'), 'base');
    assert.equal(ins[4].flags.get('chown'), '1:2');
    assert.equal(ins[4].args, '/a /b');
    assert.equal(splitStages(parseDockerfile('FROM a AS Base\nRUN x')).stages[0].name, 'base');
  });

  test('escape and syntax directives only at the top', () => {
    const df = parseDockerfile('# syntax=docker/dockerfile:1\n# escape=`\nFROM x\nRUN dir c:\\ `\n  /w');
    assert.equal(df.escape, '`');
    assert.equal(df.syntax, 'docker/dockerfile:1');
    assert.equal(df.instructions[1].args, 'dir c:\\   /w');
    // After the first instruction or comment, "# escape=" is an ordinary comment.
    assert.equal(parseDockerfile('# hello\n# escape=`\nFROM x').escape, '\\');
  });

  test('malformed files name the file and line', () => {
    const cases: Array<[string, RegExp]> = [
      ['FROM x\nRUN a\n\n\n\n\nRUNN b', /^Dockerfile:7: unknown instruction: RUNN$/],
      ['', /cannot be empty/],
      ['# only a comment\n', /cannot be empty/],
      ['RUN echo before from', /^Dockerfile:1: RUN before the first FROM/],
      ['FROM a b', /^Dockerfile:1: FROM requires either one or three arguments/],
      ['FROM x\nCOPY onlyone', /^Dockerfile:2: COPY requires at least two arguments/],
      ['FROM x\nCOPY --bogus=1 a b', /^Dockerfile:2: unknown flag: --bogus/],
      ['FROM x\nSHELL /bin/bash -c', /^Dockerfile:2: SHELL requires the arguments to be in JSON form/],
      ['FROM x\nONBUILD FROM y', /^Dockerfile:2: FROM isn't allowed as an ONBUILD trigger/],
      ['FROM x\nSTOPSIGNAL a b', /STOPSIGNAL requires exactly one argument/],
      ['FROM x\nENV', /^Dockerfile:2: ENV requires at least one argument/],
      ['FROM x\nHEALTHCHECK --interval=1s', /^Dockerfile:2: HEALTHCHECK requires at least one argument/],
      ['FROM x\nHEALTHCHECK curl x', /^Dockerfile:2: HEALTHCHECK requires CMD or NONE/],
      ['FROM x AS a\nFROM y AS a', /^Dockerfile:2: duplicate stage name "a"/],
      ['# escape=x\nFROM y', /invalid escape token/],
    ];
    for (const [text, re] of cases) assert.throws(() => splitStages(parseDockerfile(text)), (e: Error) => re.test(e.message), text);
  });
});

describe('variable substitution', () => {
  const vars = new Map([['A', 'a'], ['EMPTY', ''], ['SP', 'x y']]);
  test('forms', () => {
    assert.equal(processWord('$A ${A}/${A}b', vars), 'a a/ab');
    assert.equal(processWord('${NOPE:-def} ${EMPTY:-def} ${EMPTY-def} ${NOPE-d2}', vars), 'def def  d2');
    assert.equal(processWord('${A:+alt} ${NOPE:+alt}.${EMPTY+set}', vars), 'alt .set');
    assert.equal(processWord("'$A' \"$A\" \\$A", vars), '$A a $A');
    assert.equal(processWord('${NOPE:-$A-x}', vars), 'a-x');
    assert.throws(() => processWord('${EMPTY:?must be set}', vars), /EMPTY: must be set/);
    assert.throws(() => processWord('${A', vars), /bad substitution|missing '}'/);
    assert.throws(() => processWord('"open', vars), /double-quote/);
  });
  test('words split on unquoted space only', () => {
    assert.deepEqual(processWords('a "b c" $SP d\\ e', vars), ['a', 'b c', 'x', 'y', 'd e']);
  });
});

describe('metadata instructions', () => {
  const run = (lines: string, base: Partial<BuildImageConfig['config']> = {}) => {
    const img: BuildImageConfig = { config: { ...base }, rootfs: { type: 'layers', diff_ids: [] } };
    const ctx = { vars: new Map([['V', '1']]), escape: '\\' };
    for (const ins of parse(lines)) applyMetadata(img, ins, ctx);
    return img;
  };
  test('ENV, LABEL, WORKDIR, EXPOSE, VOLUME, CMD/ENTRYPOINT, SHELL, HEALTHCHECK, ONBUILD', () => {
    const img = run([
      'ENV A=$V B="two words" C=x\\ y', 'ENV LEGACY some value', 'LABEL "k 1"=v a.b=c', 'WORKDIR /srv', 'WORKDIR app',
      'EXPOSE 80 53/udp 8000-8001', 'VOLUME ["/data"]', 'VOLUME /a /b', 'SHELL ["/bin/bash", "-c"]', 'CMD echo hi',
      'HEALTHCHECK --interval=1m30s --retries=3 CMD curl -f http://x/', 'ONBUILD RUN echo child', 'STOPSIGNAL SIGINT', 'USER student',
    ].join('\n'));
    const c = img.config;
    assert.deepEqual(c.Env, ['A=1', 'B=two words', 'C=x y', 'LEGACY=some value']);
    assert.deepEqual(c.Labels, { 'k 1': 'v', 'a.b': 'c' });
    assert.equal(c.WorkingDir, '/srv/app');
    assert.deepEqual(Object.keys(c.ExposedPorts!), ['80/tcp', '53/udp', '8000/tcp', '8001/tcp']);
    assert.deepEqual(Object.keys(c.Volumes!), ['/data', '/a', '/b']);
    assert.deepEqual(c.Cmd, ['/bin/bash', '-c', 'echo hi']);
    assert.deepEqual(c.Healthcheck, { Test: ['CMD-SHELL', 'curl -f http://x/'], Interval: 90e9, Retries: 3 });
    assert.deepEqual(c.OnBuild, ['RUN echo child']);
    assert.equal(c.StopSignal, 'SIGINT');
    assert.equal(c.User, 'student');
  });
  test('ENTRYPOINT clears an inherited CMD, not one set in the same stage', () => {
    assert.equal(run('ENTRYPOINT ["/e"]', { Cmd: ['sh'] }).config.Cmd, null);
    assert.deepEqual(run('CMD ["c"]\nENTRYPOINT ["/e"]', { Cmd: ['sh'] }).config.Cmd, ['c']);
  });
  test('durations and bad values', () => {
    assert.equal(durationNs('500ms', 'x'), 5e8);
    assert.equal(durationNs('1m30s', 'x'), 90e9);
    assert.equal(durationNs('2µs', 'x'), 2e3); // Go's micro sign, as docker accepts it
    assert.throws(() => durationNs('5 minutes', 'interval'), /invalid duration for --interval/);
    assert.throws(() => run('EXPOSE http'), /invalid port for EXPOSE: http/);
  });
});

describe('.dockerignore patterns', () => {
  test('globs', () => {
    assert.ok(globRegExp('*.log').test('a.log'));
    assert.ok(!globRegExp('*.log').test('d/a.log'));
    assert.ok(globRegExp('**/*.log').test('d/e/a.log'));
    assert.ok(globRegExp('**/*.log').test('a.log'));
    assert.ok(globRegExp('file?.[ch]').test('file1.c'));
    assert.ok(!globRegExp('file?.[ch]').test('file1.o'));
  });
});
