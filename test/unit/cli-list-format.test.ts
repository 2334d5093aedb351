// --format of `ps` and `images` (src/cli/list-format.ts): the default table, json lines, a Go
// template per item, and 'table TEMPLATE' with Docker's column titles.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { printList, type ListFormat } from '../../src/cli/list-format';

interface Item { id: string; name: string }
const ITEMS: Item[] = [{ id: 'a1', name: 'web' }, { id: 'b22', name: 'db' }];
const FORMAT: ListFormat<Item> = {
  header: ['ID', 'NAME'],
  row: (i) => [i.id, i.name],
  fields: (i) => ({ ID: i.id, Names: i.name }),
  titles: { ID: 'CONTAINER ID', Names: 'NAMES' },
};

function output(format: string | undefined): string {
  const original = process.stdout.write;
  let out = '';
  process.stdout.write = ((chunk: string) => { out += chunk; return true; }) as typeof process.stdout.write;
  try {
    printList(format, ITEMS, FORMAT);
  } finally {
    process.stdout.write = original;
  }
  return out;
}

test('table (the default) and json', () => {
  assert.equal(output(undefined), 'ID    NAME\na1    web\nb22   db\n');
  assert.equal(output('table'), output(undefined));
  assert.equal(output('json'), '{"ID":"a1","Names":"web"}\n{"ID":"b22","Names":"db"}\n');
});

test('a template prints once per item; \\t and \\n as a shell passes them are a tab and a newline', () => {
  assert.equal(output('{{.Names}}'), 'web\ndb\n');
  assert.equal(output('{{.ID}}\\t{{.Names}}'), 'a1\tweb\nb22\tdb\n');
  assert.equal(output(' {{ .Names }}\\n'), 'web\n\ndb\n\n', 'a newline of its own, then the one after each item');
  assert.equal(output('name={{json .Names}}'), 'name="web"\nname="db"\n');
});

test('an action the template cannot do is one error line, even with nothing to list', () => {
  const original = ITEMS.splice(0);
  try {
    assert.throws(() => output('{{.Names | upper}}'), /^TsdockerError: template: unsupported action \{\{\.Names \| upper\}\}/);
  } finally {
    ITEMS.push(...original);
  }
});

test('table TEMPLATE: the columns under their titles, a field without one in capitals', () => {
  assert.equal(output('table {{.Names}}\\t{{.ID}}'), 'NAMES   CONTAINER ID\nweb     a1\ndb      b22\n');
  assert.equal(output('table {{.Other}}'), 'OTHER\n<no value>\n<no value>\n');
});
