// Output for `inspect`: a JSON array (Docker's default), or `-f/--format` with the small part of
// Go's text/template that people use with Docker: `{{.State.Pid}}`, `{{json .Config}}`,
// several actions and literal text in one template ("{{.Id}} {{.Name}}").
import { TsdockerError } from '../errors';

export function printInspect(objects: object[], format?: string): void {
  if (format === undefined || format === '') {
    process.stdout.write(JSON.stringify(objects, null, 4) + '\n');
    return;
  }
  for (const o of objects) process.stdout.write(renderTemplate(format, o) + '\n');
}

export function renderTemplate(template: string, data: unknown): string {
  return template.replace(/\{\{\s*(.*?)\s*\}\}/g, (_, action: string) => {
    const m = /^(json\s+)?(\.[\w.]*)$/.exec(action);
    if (!m) throw new TsdockerError(`template: unsupported action {{${action}}} (supported: {{.Field.Path}}, {{json .Field}})`);
    const value = lookup(data, m[2]);
    if (m[1]) return JSON.stringify(value ?? null);
    if (value === undefined || value === null) return '<no value>';
    if (typeof value === 'object') return Array.isArray(value) ? `[${value.join(' ')}]` : `map[${Object.entries(value).map(([k, v]) => `${k}:${v}`).join(' ')}]`;
    return String(value);
  });
}

function lookup(data: unknown, path: string): unknown {
  let v: unknown = data;
  for (const key of path.split('.').filter(Boolean)) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}
