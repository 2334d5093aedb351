// The monitor's process (monitor.ts), started by detached.ts:
//   node dist/src/container/monitor-main.js --root ROOT [--attach] ID
// fd 3 is a pipe to the command that started it; its stdout and stdin are /dev/null, and its
// stderr reaches that command only until the container has started.
import { setTrace } from '../trace';
import { runMonitor } from './monitor';

const argv = process.argv.slice(2);
const root = argv[argv.indexOf('--root') + 1];
const id = argv[argv.length - 1];
if (process.env.TSDOCKER_TRACE === '1') setTrace(true);
// Once the starting command has gone, writing to stderr fails with EPIPE: not a reason to die.
process.stderr.on('error', () => {});
// Our session has no terminal, but a SIGHUP sent to us must not end the container's monitor.
process.on('SIGHUP', () => {});

runMonitor(id, root, { waitForAttach: argv.includes('--attach') }).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`tsdocker monitor: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
