// The pure parts of detached containers: --restart parsing and decisions, the json-file log,
// the detach keys, and the attach framing.
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { nextDelay, parseRestartPolicy, shouldRestart } from '../../src/container/restart-policy';
import { LineSplitter, parseEntries, parseRfc3339, parseTimeFilter, rfc3339Nano, type LogEntry } from '../../src/container/jsonlog';
import { DetachScanner, parseDetachKeys } from '../../src/container/detach-keys';
import { Frame, FrameReader, frame } from '../../src/container/stdcopy';

describe('restart policy', () => {
  test('parses Docker\'s forms and rejects the rest', () => {
    assert.deepEqual(parseRestartPolicy(undefined), { Name: 'no', MaximumRetryCount: 0 });
    assert.deepEqual(parseRestartPolicy('always'), { Name: 'always', MaximumRetryCount: 0 });
    assert.deepEqual(parseRestartPolicy('on-failure:3'), { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.throws(() => parseRestartPolicy('always:3'), /only be used with 'on-failure'/);
    assert.throws(() => parseRestartPolicy('sometimes'), /unknown policy/);
    assert.throws(() => parseRestartPolicy('on-failure:x'), /must be a number/);
  });

  test('decides as Docker does; a manual stop always wins', () => {
    const onFailure2 = parseRestartPolicy('on-failure:2');
    assert.equal(shouldRestart(onFailure2, 1, 0, false), true);
    assert.equal(shouldRestart(onFailure2, 1, 2, false), false);
    assert.equal(shouldRestart(onFailure2, 0, 0, false), false);
    assert.equal(shouldRestart(parseRestartPolicy('always'), 0, 99, false), true);
    assert.equal(shouldRestart(parseRestartPolicy('always'), 137, 0, true), false);
    assert.equal(shouldRestart(parseRestartPolicy('no'), 1, 0, false), false);
    assert.deepEqual([nextDelay(0, 0), nextDelay(100, 5), nextDelay(400, 5), nextDelay(60_000, 5), nextDelay(800, 20_000)],
      [100, 200, 800, 60_000, 100]);
  });
});

describe('json-file log', () => {
  test('RFC3339Nano drops trailing zeros; parsing gives the nanoseconds back', () => {
    assert.equal(rfc3339Nano(1714557600123456789n), '2024-05-01T10:00:00.123456789Z');
    assert.equal(rfc3339Nano(1714557600120000000n), '2024-05-01T10:00:00.12Z');
    assert.equal(rfc3339Nano(1714557600000000000n), '2024-05-01T10:00:00Z');
    assert.equal(parseRfc3339('2024-05-01T10:00:00.123456789Z'), 1714557600123456789n);
    assert.equal(parseTimeFilter('1714557600.5'), 1714557600500000000n);
    assert.equal(parseTimeFilter('2024-05-01'), 1714521600000000000n);
    assert.equal(parseTimeFilter('10m', 1_000_000), 400_000n * 1_000_000n);
    assert.equal(parseTimeFilter('nonsense'), undefined);
  });

  test('lines split across reads, a UTF-8 character kept whole, long lines cut, the last partial line kept', () => {
    const out: LogEntry[] = [];
    const s = new LineSplitter('stdout', (e) => out.push(e));
    const euro = Buffer.from('€\n');
    s.push(Buffer.from('a'));
    s.push(Buffer.concat([Buffer.from('b\n'), euro.subarray(0, 1)]));
    s.push(euro.subarray(1));
    s.push(Buffer.alloc(20_000, 'x'));
    s.push(Buffer.from('tail'));
    s.end();
    assert.deepEqual(out.map((e) => e.log.length), [3, 2, 16_384, 20_000 - 16_384 + 4]);
    assert.equal(out[1].log, '€\n');
    const { entries, rest } = parseEntries('{"log":"x\\n","stream":"stderr","time":"t"}\nnot json\n{"log":"to');
    assert.deepEqual(entries.map((e) => e.stream), ['stderr']);
    assert.equal(rest, '{"log":"to');
  });
});

describe('detach keys and attach framing', () => {
  test('Ctrl-P Ctrl-Q detaches; a Ctrl-P alone is passed on', () => {
    assert.deepEqual(parseDetachKeys('ctrl-p,ctrl-q'), [16, 17]);
    assert.deepEqual(parseDetachKeys('ctrl-[,a'), [27, 97]);
    const s = new DetachScanner([16, 17]);
    assert.deepEqual(s.push(Buffer.from([97, 16])), { forward: Buffer.from([97]), detach: false });
    assert.deepEqual(s.push(Buffer.from([98])), { forward: Buffer.from([16, 98]), detach: false });
    assert.deepEqual(s.push(Buffer.from([16, 16, 17, 99])), { forward: Buffer.from([16]), detach: true });
  });

  test('frames survive being cut anywhere', () => {
    const bytes = Buffer.concat([frame(Frame.Stdout, 'out'), frame(Frame.Stderr, 'err'), frame(Frame.Exit, '3')]);
    const r = new FrameReader();
    const got = [...r.push(bytes.subarray(0, 5)), ...r.push(bytes.subarray(5, 20)), ...r.push(bytes.subarray(20))];
    assert.deepEqual(got.map((f) => [f.kind, f.payload.toString()]), [[1, 'out'], [2, 'err'], [6, '3']]);
  });
});
