// --restart no|on-failure[:N]|always|unless-stopped, as Docker parses and applies it (moby
// runconfig/opts ParseRestartPolicy, restartmanager/restartmanager.go). tsdocker has no daemon, so
// the policy is applied by the detached container's monitor (monitor.ts) when the container exits.
// "always" and "unless-stopped" differ only when Docker's daemon starts again after a reboot; with
// no daemon there is no such moment, so here they behave the same.
import { TsdockerError } from '../errors';
import type { RestartPolicy } from './types';

export function parseRestartPolicy(flag: string | undefined): RestartPolicy {
  if (flag === undefined || flag === '' || flag === 'no') return { Name: 'no', MaximumRetryCount: 0 };
  const [name, count, ...rest] = flag.split(':');
  if (rest.length > 0) throw new TsdockerError(`invalid restart policy format: ${flag}`);
  if (name !== 'always' && name !== 'unless-stopped' && name !== 'on-failure') {
    throw new TsdockerError(`invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  }
  if (count === undefined) return { Name: name, MaximumRetryCount: 0 };
  if (name !== 'on-failure') {
    throw new TsdockerError(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  }
  if (!/^\d+$/.test(count)) throw new TsdockerError(`invalid restart policy: maximum retry count must be a number: ${count}`);
  return { Name: name, MaximumRetryCount: Number(count) };
}

/** Should the monitor start the container again? `stoppedByUser`: `stop`, `kill` or `rm -f` ended it. */
export function shouldRestart(policy: RestartPolicy | undefined, exitCode: number, restartCount: number,
  stoppedByUser: boolean): boolean {
  if (!policy || stoppedByUser) return false;
  switch (policy.Name) {
    case 'always': case 'unless-stopped': return true;
    case 'on-failure':
      return exitCode !== 0 && (policy.MaximumRetryCount === 0 || restartCount < policy.MaximumRetryCount);
    default: return false;
  }
}

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 60_000;
/** A run this long counts as healthy: the back-off starts again from the first delay. */
const HEALTHY_RUN_MS = 10_000;

/** Docker's back-off between restarts: 100 ms, doubled after each quick failure, at most a minute. */
export function nextDelay(previousDelay: number, ranForMs: number): number {
  if (previousDelay === 0 || ranForMs >= HEALTHY_RUN_MS) return FIRST_DELAY_MS;
  return Math.min(previousDelay * 2, MAX_DELAY_MS);
}
