// Entry point: global options, then one command. Start-up time is a feature (a container that
// runs `true` should not wait for the CLI), so only the module of the command being run is loaded,
// with the small parser (parser.ts); the table below is all that `tsdocker --help` needs, and the
// help screen's module (help.ts) and the "did you mean" search (suggest.ts) load only when used.
import { TsdockerError, EXIT_TSDOCKER } from '../errors';
import { setRoot } from '../root';
import { exitNow, isatty } from '../sys/libc';
import { setTrace } from '../trace';
import { last } from './args';
import { codeCacheSkipped } from './code-cache';
import type { CommandModule } from './command';
import { Argv, parse, type Parsed } from './parser';

interface Entry {
  name: string;
  aliases?: string[];
  describe: string;
  /** module under src/cli/, loaded only when this command runs */
  file: string;
}

const COMMANDS: Entry[] = [
  { name: 'run', describe: 'Create and run a new container from an image', file: 'run' },
  { name: 'ps', describe: 'List containers', file: 'ps' },
  { name: 'exec', describe: 'Execute a command in a running container', file: 'exec' },
  { name: 'rm', describe: 'Remove one or more containers', file: 'rm' },
  { name: 'logs', describe: 'Fetch the logs of a container', file: 'logs' },
  { name: 'stop', describe: 'Stop one or more running containers', file: 'stop' },
  { name: 'kill', describe: 'Kill one or more running containers', file: 'kill' },
  { name: 'start', describe: 'Start one or more stopped containers', file: 'start' },
  { name: 'restart', describe: 'Restart one or more containers', file: 'restart' },
  { name: 'wait', describe: 'Block until one or more containers stop, then print their exit codes', file: 'wait' },
  { name: 'attach', describe: 'Attach local standard input, output, and error streams to a running container', file: 'attach' },
  { name: 'volume', describe: 'Manage volumes (create, ls, inspect, rm)', file: 'volume' },
  { name: 'network', describe: 'Manage networks (create, ls, inspect, rm, connect, disconnect)', file: 'network' },
  { name: 'port', describe: 'List port mappings or a specific mapping for the container', file: 'port' },
  { name: 'pull', describe: 'Download an image from a registry', file: 'pull' },
  { name: 'images', describe: 'List images', file: 'images' },
  { name: 'image', describe: 'Manage images (ls, rm, inspect, prune, pull, tag, push, save, load)', file: 'image' },
  { name: 'tag', describe: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE', file: 'tag' },
  { name: 'commit', describe: "Create a new image from a container's changes", file: 'commit' },
  { name: 'build', describe: 'Build an image from a Dockerfile', file: 'build' },
  { name: 'rmi', describe: 'Remove one or more images', file: 'rmi' },
  { name: 'inspect', describe: 'Return low-level information on images or containers', file: 'inspect' },
  { name: 'login', describe: 'Log in to a registry', file: 'login' },
  { name: 'logout', describe: 'Log out from a registry', file: 'logout' },
  { name: 'push', describe: 'Upload an image to a registry', file: 'push' },
  { name: 'save', describe: 'Save one or more images to a tar archive (streamed to STDOUT by default)', file: 'save' },
  { name: 'load', describe: 'Load an image from a tar archive or STDIN', file: 'load' },
  { name: 'info', describe: 'Display what this host offers containers, and how to fix what is missing', file: 'info' },
  { name: 'system', describe: 'Manage tsdocker (df, prune, info)', file: 'system' },
];

export async function main(argv: string[]): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parseCommandLine(argv);
  } catch (err) {
    return reportError(err);
  }
  const { level, args } = parsed;
  ran = level.path.join(' ');
  if (parsed.help) {
    const { renderHelp } = require('./help') as typeof import('./help');
    process.stdout.write(renderHelp(commandLine(), level, Math.min(110, process.stdout.columns || 80)) + '\n');
    return 0;
  }
  if (parsed.version) {
    process.stdout.write(`${require('../../../package.json').version}\n`);
    return 0;
  }
  setRoot(last(args.root as string | string[] | undefined));
  if (args.trace) setTrace(true);
  try {
    const status = (await level.handler?.(args)) ?? 0;
    // Subcommands of a group (`image ls`) set process.exitCode themselves.
    return status || Number(process.exitCode ?? 0);
  } catch (err) {
    return reportError(err);
  }
}

let ran: string | undefined;

/** Whether launch.ts may add what this process compiled to the command's code cache: main() has
 *  parsed a command ("run", "image ls"), and the command took no unusual path (code-cache.ts). */
export function cacheable(): boolean {
  return ran !== undefined && !codeCacheSkipped();
}

/** Read argv against the table of commands (loading only the command it names). */
export function parseCommandLine(argv: string[]): Parsed {
  return parse(argv, commandLine());
}

let table: Argv | undefined;

/** The global options and the command table; a command's module is loaded when it is named. */
function commandLine(): Argv {
  if (table) return table;
  const root = new Argv()
    .option('root', { type: 'string', describe: 'Root of persistent state (default $TSDOCKER_ROOT or /var/lib/tsdocker)' })
    .option('trace', { type: 'boolean', describe: 'Print every kernel-level step to stderr' })
    .demandCommand(1, "a command is required; see 'tsdocker --help'");
  for (const c of COMMANDS) {
    root.lazyCommand([c.name, ...(c.aliases ?? [])], c.describe, () => loadCommand(c.file));
  }
  table = root;
  return root;
}

function loadCommand(file: string): CommandModule {
  return require(`./${file}.js`) as CommandModule;
}

/** One clear line on stderr, and Docker's exit status 125 unless the error says otherwise. */
export function reportError(err: unknown): number {
  if (err instanceof TsdockerError) {
    process.stderr.write(`tsdocker: ${err.message}\n`);
    if (process.env.TSDOCKER_DEBUG && err.cause) console.error(err.cause);
    return err.exitCode;
  }
  process.stderr.write(`tsdocker: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
  return EXIT_TSDOCKER;
}

/**
 * End the process with `status` once main() is done. When Node has nothing left to do (its event
 * loop is empty: no child, socket, timer or file write in flight), leave at once with _exit(2)
 * instead of letting Node take its VM apart, which frees the heap and joins its threads (about
 * 12 ms of every `tsdocker run` here) for memory the kernel frees anyway. Writes to stdout and
 * stderr are synchronous for files and pipes on Linux, so nothing written is lost. On a terminal,
 * exit as usual: Node restores the terminal's settings on its way out.
 */
export function exit(status: number): void {
  process.exitCode = status;
  if (onTerminal()) return;
  // Nothing in flight already (the usual case: tsdocker starts no work it does not await): leave
  // now. Waiting for beforeExit cost ~0.7 ms more (Node closes its handles, drains V8's background
  // tasks and emits the event).
  if (process.getActiveResourcesInfo().length === 0) {
    exitNow(status);
    return;
  }
  process.once('beforeExit', () => {
    if (process.getActiveResourcesInfo().length > 0) return;
    exitNow(Number(process.exitCode ?? status));
  });
}

/** Is stdin, stdout or stderr a terminal? Asked of the addon: node:tty's isatty would load node:net
 *  with it, ~5 ms. Without the addon (a broken install), Node's usual exit is the safe answer. */
function onTerminal(): boolean {
  try {
    return [0, 1, 2].some((fd) => isatty(fd));
  } catch {
    return true;
  }
}
