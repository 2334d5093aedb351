// The command-line parser (src/cli/parser.ts): Docker's (pflag's) rules, the args object the
// handlers read, the one-line errors, and the help screen (src/cli/help.ts). A small command tree
// of its own stands in for tsdocker's, so each rule is seen in isolation.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Argv, parse, type CommandDef } from '../../src/cli/parser';
import { renderHelp } from '../../src/cli/help';
import { TsdockerError } from '../../src/errors';

const handler = async () => 0;

function tree(): Argv {
  return new Argv()
    .option('root', { type: 'string', describe: 'Root of persistent state' })
    .option('trace', { type: 'boolean', describe: 'Print every kernel-level step' })
    .demandCommand(1, "a command is required; see 'tsdocker --help'")
    .command('ps', 'List containers', (y) => y
      .option('all', { alias: 'a', type: 'boolean', describe: 'Show all containers' })
      .option('quiet', { alias: 'q', type: 'boolean', describe: 'Only display container IDs' })
      .option('no-trunc', { type: 'boolean', describe: "Don't truncate output" })
      .option('format', { type: 'string', describe: 'Format output' })
      .example('tsdocker ps -a', 'all containers'), handler)
    .command('run <image> [command..]', 'Create and run a new container from an image', (y) => y
      .flagsEndAtOperand()
      .positional('image', { type: 'string', describe: 'IMAGE' })
      .positional('command', { type: 'string', array: true, describe: 'COMMAND [ARG...]' })
      .option('interactive', { alias: 'i', type: 'boolean', describe: 'Keep STDIN open' })
      .option('tty', { alias: 't', type: 'boolean', describe: 'Allocate a pseudo-TTY' })
      .option('rm', { type: 'boolean', describe: 'Remove the container when it exits' })
      .option('user', { alias: 'u', type: 'string', describe: 'Username or UID' })
      .option('env', { alias: 'e', type: 'string', describe: 'Set environment variables' })
      .option('env-file', { type: 'string', describe: 'Read in a file of environment variables' })
      .option('publish', { alias: 'p', type: 'string', describe: "Publish a container's port(s)" })
      .option('hostname', { alias: 'h', type: 'string', describe: 'Container host name' })
      .option('cpu-shares', { type: 'number', describe: 'CPU shares (relative weight)' })
      .option('network', { alias: 'net', type: 'string', default: 'bridge', describe: 'Connect a container to a network' })
      .option('pull', { type: 'string', choices: ['missing', 'always', 'never'], default: 'missing', describe: 'Pull image before running' })
      .example('tsdocker run --rm busybox echo hello', 'run one command and remove the container'), handler)
    .command('tag <source> <target>', 'Create a tag', (y) => y
      .positional('source', { type: 'string', describe: 'SOURCE_IMAGE' })
      .positional('target', { type: 'string', describe: 'TARGET_IMAGE' }), handler)
    .command('stop <containers..>', 'Stop containers', (y) => y
      .positional('containers', { type: 'string', array: true })
      .option('time', { alias: ['t', 'timeout'], type: 'number', describe: 'Seconds to wait' }), handler)
    .command('commit <container> [repository]', 'Commit', (y) => y, handler)
    .command('volume <action> [names..]', 'Manage volumes', (y) => y
      .positional('action', { type: 'string', choices: ['create', 'ls', 'rm'], describe: 'what to do' }), handler)
    .command('image <command>', 'Manage images', (y) => y
      .command(['ls [repository]', 'list [repository]'], 'List images', (z) => z
        .option('quiet', { alias: 'q', type: 'boolean', describe: 'Only show image IDs' }), handler)
      .command('rm <images..>', 'Remove images', (z) => z, handler)
      .demandCommand(1, "\"tsdocker image\" requires a subcommand; see 'tsdocker image --help'"), handler);
}

const args = (...argv: string[]) => parse(argv, tree()).args;

/** The error parse() throws for argv: one line, Docker's exit status 125. */
function failure(...argv: string[]): string {
  try {
    parse(argv, tree());
  } catch (err) {
    assert.ok(err instanceof TsdockerError);
    assert.equal(err.exitCode, 125);
    assert.doesNotMatch(err.message, /\n/);
    return err.message;
  }
  assert.fail(`no error for ${argv.join(' ')}`);
}

test('long flags: --flag value and --flag=value; keys are camelCase', () => {
  assert.deepEqual(args('ps', '--format', 'json'), { _: ['ps'], format: 'json' });
  assert.deepEqual(args('ps', '--format=json'), { _: ['ps'], format: 'json' });
  assert.equal(args('ps', '--format=').format, '');
  assert.equal(args('ps', '--format=a=b').format, 'a=b');
  // pflag takes the next word as the value, whatever it looks like.
  assert.equal(args('run', '--user', '-x', 'busybox').user, '-x');
  assert.equal(args('run', '--env-file', 'f', 'busybox').envFile, 'f');
  assert.equal(args('ps', '--no-trunc').noTrunc, true);
});

test('shorthands: -x value, -xvalue, -x=value; groups of booleans; a group ending in a value flag', () => {
  assert.equal(args('run', '-u', 'student', 'busybox').user, 'student');
  assert.equal(args('run', '-ustudent', 'busybox').user, 'student');
  assert.equal(args('run', '-p8080:80', 'busybox').publish, '8080:80');
  assert.equal(args('run', '-e=FOO', 'busybox').env, 'FOO');
  assert.equal(args('run', '-e', '=', 'busybox').env, '=');
  const it = args('run', '-it', 'busybox');
  assert.deepEqual([it.interactive, it.tty], [true, true]);
  const aq = args('ps', '-aq');
  assert.deepEqual([aq.all, aq.quiet], [true, true]);
  const iu = args('run', '-iu', 'student', 'busybox');
  assert.deepEqual([iu.interactive, iu.user, iu.image], [true, 'student', 'busybox']);
  const itu = args('run', '-ituroot', 'busybox');
  assert.deepEqual([itu.interactive, itu.tty, itu.user], [true, true, 'root']);
});

test('booleans: no value of their own; --bool=false and -b=false turn one off; no --no- negation', () => {
  assert.equal(args('run', '--rm', 'busybox').rm, true);
  assert.equal(args('run', '--rm=false', 'busybox').rm, false);
  assert.equal(args('run', '-i=false', 'busybox').interactive, false);
  assert.equal(args('run', '--rm=1', 'busybox').rm, true);
  // `--rm false`: "false" is the image, as in Docker.
  assert.equal(args('run', '--rm', 'false').image, 'false');
  assert.equal(args('ps', '-a', '--all=false').all, false);
  assert.match(failure('ps', '--no-all'), /^unknown flag: --no-all/);
  assert.equal(failure('ps', '--all=yes'),
    `invalid argument "yes" for "--all" flag: not a boolean (true or false); see 'tsdocker ps --help'`);
});

test('a repeated string flag is an array; a repeated number or boolean keeps the last', () => {
  assert.deepEqual(args('run', '-e', 'A=1', '--env', 'B=2', '-eC=3', 'busybox').env, ['A=1', 'B=2', 'C=3']);
  assert.equal(args('run', '--cpu-shares', '5', '--cpu-shares=7', 'busybox').cpuShares, 7);
  assert.equal(args('stop', '-t', '-1', 'web').time, -1);
  assert.equal(args('stop', '--timeout', '2.5', 'web').time, 2.5);
  assert.equal(failure('run', '--cpu-shares', 'lots', 'busybox'),
    `invalid argument "lots" for "--cpu-shares" flag: not a number; see 'tsdocker run --help'`);
  assert.match(failure('stop', '-t', 'Infinity', 'web'), /^invalid argument "Infinity" for "-t, --time" flag: not a number/);
  assert.equal(failure('stop', '-t', '', 'web'),
    `invalid argument "" for "-t, --time" flag: not a number; see 'tsdocker stop --help'`);
});

test('other long names, defaults (replaced, not joined, by a given value), choices', () => {
  assert.equal(args('run', '--net', 'host', 'busybox').network, 'host');
  assert.equal(args('run', 'busybox').network, 'bridge');
  assert.equal(args('run', '--network=none', 'busybox').network, 'none');
  assert.equal(args('run', 'busybox').pull, 'missing');
  assert.equal(args('run', '--pull', 'never', 'busybox').pull, 'never');
  assert.equal(failure('run', '--pull', 'sometimes', 'busybox'),
    `invalid argument "sometimes" for "--pull" flag: must be one of missing, always, never; see 'tsdocker run --help'`);
});

test('"--" ends the flags; "-" alone is an operand', () => {
  assert.deepEqual(args('image', 'ls', '--', '-q'), { _: ['image', 'ls'], repository: '-q' });
  assert.equal(args('image', 'ls', '-').repository, '-');
  assert.deepEqual(args('run', '--', 'busybox', 'ls').command, ['ls']);
});

test('run: flags end at the image; the rest, flags and "--" too, is the container\'s command', () => {
  const a = args('run', '--rm', '-it', 'busybox', 'ls', '-la', '--rm', '--help');
  assert.deepEqual([a.rm, a.image, a.command], [true, 'busybox', ['ls', '-la', '--rm', '--help']]);
  assert.deepEqual(args('run', 'busybox').command, []);
  // As with Docker's SetInterspersed(false): a "--" after the image is the command's.
  assert.deepEqual(args('run', 'busybox', '--', 'ls').command, ['--', 'ls']);
  // Elsewhere flags may follow operands.
  const stop = args('stop', 'web', '-t', '3', 'db');
  assert.deepEqual([stop.containers, stop.time], [['web', 'db'], 3]);
});

test('global flags anywhere: before the command, after it, inside a group', () => {
  for (const argv of [['--root', '/r', 'ps'], ['ps', '--root', '/r'], ['ps', '--root=/r'], ['--trace', 'ps', '--root', '/r']]) {
    assert.equal(args(...argv).root, '/r', argv.join(' '));
  }
  assert.equal(args('image', '--trace', 'ls').trace, true);
  assert.equal(args('image', 'ls', '--trace', '-q').quiet, true);
  assert.equal(args('run', '--root', '/r', 'busybox', '--root', '/x').root, '/r');
});

test('positionals: required, optional, the rest as an array; `_` is the command path', () => {
  assert.deepEqual(args('tag', 'a', 'b'), { _: ['tag'], source: 'a', target: 'b' });
  assert.deepEqual(args('commit', 'c'), { _: ['commit'], container: 'c' });
  assert.deepEqual(args('commit', 'c', 'r:1'), { _: ['commit'], container: 'c', repository: 'r:1' });
  assert.deepEqual(args('stop', 'a', 'b', 'c').containers, ['a', 'b', 'c']);
  assert.deepEqual(args('volume', 'ls'), { _: ['volume'], action: 'ls', names: [] });
  assert.deepEqual(args('image', 'list', 'busybox'), { _: ['image', 'ls'], repository: 'busybox' });
});

test('--help and -h at every level, before any check of operands; run\'s -h is --hostname', () => {
  for (const argv of [['--help'], ['-h'], ['ps', '-h'], ['tag', '--help'], ['image', '--help'], ['image', 'ls', '-h'],
    ['--help', 'image', 'ls'], ['run', '--help']]) {
    assert.equal(parse(argv, tree()).help, true, argv.join(' '));
  }
  assert.deepEqual(parse(['image', 'ls', '-h'], tree()).level.path, ['image', 'ls']);
  const r = parse(['run', '-h', 'box', 'busybox'], tree());
  assert.deepEqual([r.help, r.args.hostname], [false, 'box']);
  assert.equal(failure('run', '-h'), "flag needs an argument: 'h' in -h; see 'tsdocker run --help'");
  assert.equal(parse(['run', 'busybox', '--help'], tree()).help, false);
  assert.equal(parse(['ps', '--version'], tree()).version, true);
});

test('errors: one line each, with the nearest right name or a pointer to --help', () => {
  assert.equal(failure('rnu'), 'unknown command: rnu (did you mean run?)');
  assert.equal(failure('xyzzy'), "unknown command: xyzzy; see 'tsdocker --help'");
  assert.equal(failure('ps', '--alll'), 'unknown flag: --alll (did you mean --all?)');
  assert.equal(failure('ps', '--no-trunx'), 'unknown flag: --no-trunx (did you mean --no-trunc?)');
  assert.equal(failure('ps', '--zzzzz=1'), "unknown flag: --zzzzz; see 'tsdocker ps --help'");
  assert.equal(failure('run', '--rmm', 'busybox', 'true'), 'unknown flag: --rmm (did you mean --rm?)');
  assert.equal(failure('ps', '-z'), "unknown shorthand flag: 'z' in -z; see 'tsdocker ps --help'");
  assert.equal(failure('ps', '-azq'), "unknown shorthand flag: 'z' in -zq; see 'tsdocker ps --help'");
  assert.equal(failure('ps', 'foo'), "unexpected argument: foo; see 'tsdocker ps --help'");
  assert.equal(failure('tag', 'a', 'b', 'c'), "unexpected argument: c; see 'tsdocker tag --help'");
  assert.equal(failure('tag', 'a'), `"tsdocker tag" requires at least 2 arguments; see 'tsdocker tag --help'`);
  assert.equal(failure('stop'), `"tsdocker stop" requires at least 1 argument; see 'tsdocker stop --help'`);
  assert.equal(failure('image', 'lss'), 'unknown command: image lss (did you mean image ls?)');
  assert.equal(failure('image', 'rm'), `"tsdocker image rm" requires at least 1 argument; see 'tsdocker image rm --help'`);
  assert.equal(failure('image', 'ls', '--quite'), 'unknown flag: --quite (did you mean --quiet?)');
  assert.equal(failure('image'), `"tsdocker image" requires a subcommand; see 'tsdocker image --help'`);
  assert.equal(failure(), "a command is required; see 'tsdocker --help'");
  assert.equal(failure('volume', 'lss'), 'unknown command: volume lss (did you mean volume ls?)');
  assert.equal(failure('run', '--user'), "flag needs an argument: --user; see 'tsdocker run --help'");
  assert.equal(failure('run', '-iu'), "flag needs an argument: 'u' in -u; see 'tsdocker run --help'");
  assert.equal(failure('ps', '---all'), "bad flag syntax: ---all; see 'tsdocker ps --help'");
  // A flag of another command is unknown here (ps has no -u), and a group's level has only the globals.
  assert.match(failure('ps', '-u', 'x'), /^unknown shorthand flag: 'u'/);
  assert.match(failure('image', '-q', 'ls'), /^unknown shorthand flag: 'q'/);
});

test('only the named command is loaded', () => {
  const loaded: string[] = [];
  const def = (name: string): CommandDef => {
    loaded.push(name);
    return { command: name, describe: name, builder: (y) => y, handler };
  };
  const root = new Argv();
  for (const name of ['run', 'ps', 'images']) root.lazyCommand([name], name, () => def(name));
  parse(['ps'], root);
  assert.deepEqual(loaded, ['ps']);
  parse(['--help'], root);
  assert.deepEqual(loaded, ['ps']);
});

test('help: usage, description, positionals, options with other names, types, choices, defaults, examples', () => {
  const root = tree();
  const text = renderHelp(root, parse(['run', '--help'], root).level, 80);
  const lines = text.split('\n');
  assert.equal(lines[0], 'tsdocker run <image> [command..]');
  assert.equal(lines[2], 'Create and run a new container from an image');
  assert.match(text, /^Positionals:\n {2}image +IMAGE +\[string\] \[required\]$/m);
  assert.match(text, /^ {2}command +COMMAND \[ARG\.\.\.\] +\[array\] \[default: \[\]\]$/m);
  assert.match(text, /^Options:$/m);
  assert.match(text, /^ {6}--root +Root of persistent state +\[string\]$/m);
  assert.match(text, /^ {6}--help +Show help +\[boolean\]$/m, '-h is not help here');
  assert.match(text, /^ {2}-h, --hostname +Container host name +\[string\]$/m);
  // An extra that does not fit after the text goes right-aligned on the next line.
  assert.match(text, /^ {6}--network, --net +Connect a container to a network\n {50,}\[string\] \[default: "bridge"\]$/m);
  assert.match(text, /\[string\] \[choices: "missing", "always", "never"\] \[default: "missing"\]$/m);
  assert.match(text, /^Examples:\n {2}tsdocker run --rm busybox echo hello +run one command/m);
  for (const l of lines) assert.ok(l.length <= 80 && l === l.trimEnd(), `${JSON.stringify(l)} fits 80 columns`);
  for (const l of renderHelp(root, parse(['run', '--help'], root).level, 50).split('\n')) {
    assert.ok(l.length <= 50, `${JSON.stringify(l)} fits 50 columns`);
  }

  const ps = renderHelp(root, parse(['ps', '--help'], root).level, 80);
  assert.match(ps, /^ {2}-h, --help +Show help +\[boolean\]$/m);
  assert.match(ps, /^ {6}--no-trunc +Don't truncate output +\[boolean\]$/m);
  assert.doesNotMatch(ps, /^Positionals:/m);
});

test('help: the command lists of the root and of a group', () => {
  const root = tree();
  const top = renderHelp(root, parse(['--help'], root).level, 80);
  assert.match(top, /^Usage: tsdocker \[OPTIONS\] COMMAND\n\nCommands:\n {2}tsdocker ps +List containers$/m);
  // A long text wraps in its column.
  assert.match(top, /^ {2}tsdocker run <image> \[command\.\.\] +Create and run a new container from\n {44}an image$/m);
  const image = renderHelp(root, parse(['image', '--help'], root).level, 80);
  assert.match(image, /^tsdocker image <command>\n\nManage images\n\nCommands:\n/);
  assert.match(image, /^ {2}tsdocker image ls \[repository\] +List images +\[aliases: list\]$/m);
  assert.match(image, /^ {2}tsdocker image rm <images\.\.> +Remove images$/m);
  assert.doesNotMatch(image, /^Positionals:/m);
  const ls = renderHelp(root, parse(['image', 'list', '-h'], root).level, 80);
  assert.match(ls, /^tsdocker image ls \[repository\]\n\nList images\n/);
  assert.match(ls, /^ {2}-q, --quiet +Only show image IDs +\[boolean\]$/m);
});
