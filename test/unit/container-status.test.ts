import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { commandColumn, ellipsis, psJson, psRow, statusText } from '../../src/container/status';
import { ContainerRecord, ZERO_TIME } from '../../src/container/types';
import { createConfig, defaultRunOptions } from '../../src/container/options';
import { humanDuration } from '../../src/format';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

test('go-units HumanDuration', () => {
  assert.equal(humanDuration(500), 'Less than a second');
  assert.equal(humanDuration(1000), '1 second');
  assert.equal(humanDuration(3000), '3 seconds');
  assert.equal(humanDuration(60_000), 'About a minute');
  assert.equal(humanDuration(5 * 60_000), '5 minutes');
  assert.equal(humanDuration(3_600_000), 'About an hour');
  assert.equal(humanDuration(3 * 3_600_000), '3 hours');
  assert.equal(humanDuration(3 * 86_400_000), '3 days');
});

const state = (s: Partial<ContainerRecord['State']>): ContainerRecord['State'] =>
  ({ Status: 'created', Running: false, Pid: 0, ExitCode: 0, OOMKilled: false, Error: '', StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME, ...s });

test('status texts', () => {
  assert.equal(statusText(state({}), NOW), 'Created');
  assert.equal(statusText(state({ Status: 'running', Running: true, StartedAt: ago(3000) }), NOW), 'Up 3 seconds');
  assert.equal(statusText(state({ Status: 'exited', ExitCode: 0, FinishedAt: ago(5000) }), NOW), 'Exited (0) 5 seconds ago');
  assert.equal(statusText(state({ Status: 'exited', ExitCode: 137, FinishedAt: ago(2 * 3_600_000) }), NOW), 'Exited (137) 2 hours ago');
});

function record(path: string, args: string[]): ContainerRecord {
  const id = 'f'.repeat(64);
  const cfg = createConfig(defaultRunOptions('busybox', [path, ...args]), { rootfs: { type: 'layers', diff_ids: [] } }, id, {});
  return { Id: id, Name: 'focused_turing', Created: ago(60_000), Image: 'sha256:' + '1'.repeat(64), Path: cfg.Path,
    Args: cfg.Args, Config: cfg.Config, HostConfig: cfg.HostConfig, Mounts: cfg.Mounts,
    State: state({ Status: 'exited', FinishedAt: ago(5000) }) };
}

test('COMMAND is quoted and cut at 20 columns with an ellipsis', () => {
  assert.equal(ellipsis('abc', 20), 'abc');
  assert.equal(ellipsis('sh -c while true; do sleep 1; done', 20), 'sh -c while true; d…');
  assert.equal(commandColumn(record('sh', ['-c', 'while true; do sleep 1; done']), true), '"sh -c while true; d…"');
  assert.equal(commandColumn(record('sh', ['-c', 'echo "x"']), false), '"sh -c echo \\"x\\""');
});

test('a ps row and its JSON form', () => {
  const rec = record('true', []);
  assert.deepEqual(psRow(rec, { noTrunc: false, now: NOW }),
    ['ffffffffffff', 'busybox', '"true"', 'About a minute ago', 'Exited (0) 5 seconds ago', '', 'focused_turing']);
  const j = psJson(rec, { noTrunc: true, now: NOW });
  assert.equal(j.ID, 'f'.repeat(64));
  assert.equal(j.State, 'exited');
  assert.equal(j.Status, 'Exited (0) 5 seconds ago');
  assert.equal(j.CreatedAt, '2024-05-01 11:59:00 +0000 UTC');
  assert.equal(j.Names, 'focused_turing');
});
