// How `ps` describes containers, exactly as Docker's CLI does: the STATUS text (moby
// container/state.go State.String), the quoted and truncated COMMAND (cli formatter
// ContainerContext.Command, with a 20-column Ellipsis) and the --format json object.
import { humanDuration, shortId } from '../format';
import { portsColumn } from '../network/ports';
import type { ContainerRecord, ContainerState } from './types';

export function statusText(state: ContainerState, now = Date.now()): string {
  switch (state.Status) {
    case 'running': return `Up ${humanDuration(Math.max(0, now - Date.parse(state.StartedAt)))}`;
    case 'exited': return `Exited (${state.ExitCode}) ${humanDuration(Math.max(0, now - Date.parse(state.FinishedAt)))} ago`;
    case 'restarting': return `Restarting (${state.ExitCode}) ${humanDuration(Math.max(0, now - Date.parse(state.FinishedAt)))} ago`;
    case 'dead': return 'Dead';
    default: return 'Created';
  }
}

/** Docker's Ellipsis: at most `max` characters, the last one "…" when cut. */
export function ellipsis(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : chars.slice(0, max - 1).join('') + '…';
}

/** The command as one string ("sh -c 'echo hi'" shows as "sh -c echo hi"), as Docker's API gives it. */
export function commandLine(rec: ContainerRecord): string {
  return [rec.Path, ...rec.Args].join(' ');
}

export function commandColumn(rec: ContainerRecord, trunc: boolean): string {
  return JSON.stringify(trunc ? ellipsis(commandLine(rec), 20) : commandLine(rec));
}

export interface PsOptions {
  noTrunc: boolean;
  now?: number;
}

export const PS_HEADER = ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'];

export function psRow(rec: ContainerRecord, o: PsOptions): string[] {
  const now = o.now ?? Date.now();
  return [
    o.noTrunc ? rec.Id : shortId(rec.Id),
    rec.Config.Image,
    commandColumn(rec, !o.noTrunc),
    `${humanDuration(Math.max(0, now - Date.parse(rec.Created)))} ago`,
    statusText(rec.State, now),
    rec.State.Running ? portsColumn(rec.NetworkSettings?.Ports) : '',
    rec.Name,
  ];
}

/** Go's time.Time.String() in UTC: "2024-05-01 10:00:00 +0000 UTC", as `ps --format json` shows. */
function goTime(iso: string): string {
  return new Date(iso).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000 UTC');
}

/** One line of `ps --format json` (Docker's field names; values are the table's strings). */
export function psJson(rec: ContainerRecord, o: PsOptions): Record<string, string> {
  const row = psRow(rec, o);
  return {
    Command: row[2],
    CreatedAt: goTime(rec.Created),
    ID: row[0],
    Image: row[1],
    Labels: Object.entries(rec.Config.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
    LocalVolumes: String(rec.Mounts.filter((m) => m.Type === 'volume').length),
    Mounts: rec.Mounts.map((m) => (m.Type === 'volume' ? ellipsis(m.Name ?? '', 15) : m.Source)).join(','),
    Names: rec.Name,
    Networks: Object.keys(rec.NetworkSettings?.Networks ?? {}).join(',') || rec.HostConfig.NetworkMode,
    Ports: row[5],
    RunningFor: row[3],
    Size: '0B',
    State: rec.State.Status,
    Status: row[4],
  };
}
