// --format for `ps` and `images`, as Docker's CLI reads it (docker/cli cli/command/formatter):
//
//   table (the default)   the usual columns
//   json                  one JSON object per line
//   table TEMPLATE        a table of the template's columns, under their titles ("CONTAINER ID")
//   TEMPLATE              the template once per item, e.g. '{{.Names}}' or '{{.Repository}}:{{.Tag}}'
//
// A template sees the fields of the json format. As in Docker, "\t" and "\n" written in it (a
// backslash and a letter, as a shell passes them) are a tab and a newline, and a table's columns
// are the tab-separated parts.
import { table } from '../format';
import { renderTemplate } from './inspect-format';

export interface ListFormat<T> {
  /** the default table */
  header: string[];
  row(item: T): string[];
  /** what `json` prints and a template sees */
  fields(item: T): object;
  /** a column's title under `table TEMPLATE`, by field name (Docker's; others: the name in capitals) */
  titles: Record<string, string>;
}

export function printList<T>(format: string | undefined, items: T[], f: ListFormat<T>): void {
  if (format === undefined || format.trim() === '' || format.trim() === 'table') {
    process.stdout.write(table(f.header, items.map((i) => f.row(i))));
    return;
  }
  if (format.trim() === 'json') {
    process.stdout.write(items.map((i) => `${JSON.stringify(f.fields(i))}\n`).join(''));
    return;
  }
  const isTable = /^table\s/.test(format);
  const template = (isTable ? format.replace(/^table\s/, '') : format).trim().replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  // The titles first: an action the template cannot do is an error even with nothing to list.
  const titles = new Proxy(f.titles, { get: (t, key) => (typeof key === 'string' ? t[key] ?? key.toUpperCase() : undefined) });
  const header = renderTemplate(template, titles);
  const lines = items.map((i) => renderTemplate(template, f.fields(i)));
  if (isTable) process.stdout.write(table(header.split('\t'), lines.map((l) => l.split('\t'))));
  else process.stdout.write(lines.map((l) => `${l}\n`).join(''));
}
