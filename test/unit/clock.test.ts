// isoTime (src/clock.ts) against Date's own toISOString.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { isoTime } from '../../src/clock';

test('isoTime is toISOString: epoch, leap days, century years, the end of a year, random times', () => {
  const fixed = ['1970-01-01T00:00:00.000Z', '2000-02-29T23:59:59.999Z', '2100-03-01T00:00:00.000Z',
    '2024-12-31T12:34:56.789Z', '2026-11-29T11:40:34.123Z', '2400-02-29T06:00:00.001Z'];
  for (const iso of fixed) assert.equal(isoTime(Date.parse(iso)), iso);
  for (let i = 0; i < 20_000; i++) {
    const ms = Math.floor(Math.random() * Date.parse('2500-01-01T00:00:00Z'));
    assert.equal(isoTime(ms), new Date(ms).toISOString(), `at ${ms}`);
  }
  assert.match(isoTime(), /^20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});
