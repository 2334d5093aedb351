import type { Argv } from './parser';
import { TsdockerError } from '../errors';
import type { RunOptions } from '../container/options';
import { last, list, trailingCommand } from './args';
import { skipCodeCache } from './code-cache';

export const command = 'run <image> [command..]';
export const describe = 'Create and run a new container from an image';

export function builder(y: Argv): Argv {
  return y
    // Docker's flags end at the image: `run busybox ls -la` gives -la to ls.
    .flagsEndAtOperand()
    .positional('image', { type: 'string', describe: 'IMAGE (name[:tag] or id)' })
    .positional('command', { type: 'string', array: true, describe: 'COMMAND [ARG...]' })
    .option('interactive', { alias: 'i', type: 'boolean', describe: 'Keep STDIN open' })
    .option('tty', { alias: 't', type: 'boolean', describe: 'Allocate a pseudo-TTY' })
    .option('detach', { alias: 'd', type: 'boolean', describe: 'Run container in background and print container ID' })
    .option('restart', { type: 'string', describe: 'Restart policy to apply when a container exits (no, on-failure[:N], always, unless-stopped)' })
    .option('rm', { type: 'boolean', describe: 'Automatically remove the container when it exits' })
    .option('name', { type: 'string', describe: 'Assign a name to the container' })
    .option('volume', { alias: 'v', type: 'string', describe: 'Bind mount a volume: /host:/ctr[:ro], name:/ctr, or /ctr' })
    .option('tmpfs', { type: 'string', describe: 'Mount a tmpfs directory: /path[:options]' })
    .option('env', { alias: 'e', type: 'string', describe: 'Set environment variables: KEY=value or KEY' })
    .option('env-file', { type: 'string', describe: 'Read in a file of environment variables' })
    .option('workdir', { alias: 'w', type: 'string', describe: 'Working directory inside the container' })
    .option('user', { alias: 'u', type: 'string', describe: 'Username or UID (format: <name|uid>[:<group|gid>])' })
    .option('entrypoint', { type: 'string', describe: 'Overwrite the default ENTRYPOINT of the image' })
    // Docker's -h: here it is not --help (which stays).
    .option('hostname', { alias: 'h', type: 'string', describe: 'Container host name' })
    .option('init', { type: 'boolean', describe: 'Run an init inside the container that forwards signals and reaps processes' })
    .option('memory', { alias: 'm', type: 'string', describe: 'Memory limit (e.g. 32m, 1g)' })
    .option('memory-swap', { type: 'string', describe: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap" })
    .option('cpus', { type: 'string', describe: 'Number of CPUs (e.g. 0.5)' })
    .option('cpu-shares', { type: 'number', describe: 'CPU shares (relative weight)' })
    .option('pids-limit', { type: 'number', describe: 'Tune container pids limit (set -1 for unlimited)' })
    .option('cap-add', { type: 'string', describe: 'Add Linux capabilities' })
    .option('cap-drop', { type: 'string', describe: 'Drop Linux capabilities' })
    .option('privileged', { type: 'boolean', describe: 'Give extended privileges to this container' })
    .option('read-only', { type: 'boolean', describe: "Mount the container's root filesystem as read only" })
    .option('network', { alias: 'net', type: 'string', default: 'bridge', describe: 'Connect a container to a network: bridge (default), none, host, container:NAME, or a network made with `network create`' })
    .option('publish', { alias: 'p', type: 'string', describe: "Publish a container's port(s) to the host: [IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp]" })
    .option('publish-all', { alias: 'P', type: 'boolean', describe: 'Publish all exposed ports to random ports' })
    .option('dns', { type: 'string', describe: 'Set custom DNS servers' })
    .option('add-host', { type: 'string', describe: 'Add a custom host-to-IP mapping (host:ip, or host:host-gateway)' })
    .option('security-opt', { type: 'string', describe: 'Security options: no-new-privileges, seccomp=unconfined, seccomp=PROFILE.json (an OCI deny list)' })
    .option('platform', { type: 'string', describe: 'Set platform if server is multi-platform capable' })
    .option('pull', { type: 'string', choices: ['missing', 'always', 'never'], default: 'missing', describe: 'Pull image before running' })
    .example('tsdocker run --rm busybox echo hello', 'run one command and remove the container')
    .example('tsdocker run -d --name web busybox httpd -f', 'in the background; see `tsdocker logs web`')
    .example('tsdocker run -it ubuntu:20.04 bash', 'an interactive shell with a terminal')
    .example('tsdocker run --rm -m 32m --pids-limit 20 busybox sh', 'with memory and process limits')
    .example('tsdocker run --rm -p 8080:80 busybox httpd -f -p 80', 'a web server on the host\'s port 8080')
    .example('tsdocker run --rm -v /tmp/data:/data:ro -e GREETING=hi busybox env', 'a bind mount and a variable');
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function runOptions(args: any): RunOptions {
  const image = String(args.image);
  return {
    image,
    args: trailingCommand(args),
    name: last(args.name),
    interactive: Boolean(args.interactive),
    tty: Boolean(args.tty),
    autoRemove: Boolean(args.rm),
    volumes: list(args.volume),
    tmpfs: list(args.tmpfs),
    env: list(args.env),
    envFiles: list(args.envFile),
    workdir: last(args.workdir),
    user: last(args.user),
    entrypoint: last(args.entrypoint),
    hostname: last(args.hostname),
    init: Boolean(args.init),
    memory: last(args.memory),
    memorySwap: last(args.memorySwap),
    cpus: last(args.cpus),
    cpuShares: last(args.cpuShares),
    pidsLimit: last(args.pidsLimit),
    capAdd: list(args.capAdd),
    capDrop: list(args.capDrop),
    privileged: Boolean(args.privileged),
    readOnly: Boolean(args.readOnly),
    network: String(last(args.network) ?? 'bridge'),
    publish: list(args.publish),
    publishAll: Boolean(args.publishAll),
    dns: list(args.dns),
    addHost: list(args.addHost),
    securityOpt: list(args.securityOpt),
    detach: Boolean(args.detach),
    restart: last(args.restart),
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function handler(args: any): Promise<number> {
  const opts = runOptions(args);
  // Docker's check: a terminal inside needs one outside to relay keystrokes from.
  if (opts.tty && opts.interactive && !opts.detach && !process.stdin.isTTY) {
    throw new TsdockerError('the input device is not a TTY');
  }
  // In the foreground the runtime helper starts first and waits for its bundle: its start-up then
  // overlaps finding the image and making the container (src/runtime/index.ts, startHelper).
  const helper = opts.detach ? undefined : (require('../runtime') as typeof import('../runtime')).startHelper(opts.interactive);
  const { findOrPullImage } = require('../container/image') as typeof import('../container/image');
  const { createContainer, startForeground } = require('../container/lifecycle') as typeof import('../container/lifecycle');
  let rec;
  try {
    const { store, image, pulled } = await findOrPullImage(opts.image, { pull: last(args.pull) ?? 'missing', platform: last(args.platform) });
    if (pulled) skipCodeCache();
    rec = createContainer(opts, image, store);
  } catch (err) {
    helper?.abort();
    throw err;
  }
  if (opts.detach) {
    const { startDetached } = require('../container/detached') as typeof import('../container/detached');
    await startDetached(rec.Id);
    process.stdout.write(`${rec.Id}\n`);
    return 0;
  }
  return startForeground(rec, undefined, undefined, helper);
}
