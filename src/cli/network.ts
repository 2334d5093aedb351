import type { Argv } from './parser';
import { TsdockerError } from '../errors';
import { table } from '../format';
import { reportError } from './main';

export const command = 'network <action> [args..]';
export const describe = 'Manage networks (create, ls, inspect, rm, connect, disconnect)';

export function builder(y: Argv): Argv {
  return y
    .positional('action', { type: 'string', choices: ['create', 'ls', 'list', 'inspect', 'rm', 'remove', 'connect', 'disconnect'], describe: 'what to do' })
    .positional('args', { type: 'string', array: true, describe: 'NETWORK [NETWORK...], or NETWORK CONTAINER for connect/disconnect' })
    .option('subnet', { type: 'string', describe: 'create: subnet in CIDR format, e.g. 172.30.0.0/16 (default: the first free of Docker\'s pools)' })
    .option('gateway', { type: 'string', describe: 'create: IPv4 gateway for the subnet (default: its first address)' })
    .option('driver', { alias: 'd', type: 'string', default: 'bridge', describe: 'create: driver (only bridge)' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'ls: only display network IDs' })
    .option('no-trunc', { type: 'boolean', describe: "ls: don't truncate the IDs" })
    .option('format', { type: 'string', describe: "ls: 'table' or 'json' (one JSON object per line)" })
    .option('force', { alias: 'f', type: 'boolean', describe: 'disconnect: force the container to disconnect' })
    .example('tsdocker network create mynet', 'a bridge network with a free subnet')
    .example('tsdocker run -d --network mynet --name web busybox httpd -f', 'a container on it')
    .example('tsdocker run --rm --network mynet busybox wget -qO- http://web/', 'reaches the other one by name')
    .example('tsdocker network inspect mynet', 'its subnet and the containers on it');
}

interface Args {
  action: string; args?: string[]; subnet?: string; gateway?: string; driver?: string;
  quiet?: boolean; noTrunc?: boolean; format?: string; force?: boolean;
}

export async function handler(a: Args): Promise<number> {
  const words = (a.args ?? []).map(String);
  const networks = require('../network/networks') as typeof import('../network/networks');
  const manage = require('../network/manage') as typeof import('../network/manage');
  switch (a.action) {
    case 'create': {
      if (words.length !== 1) throw new TsdockerError('"network create" requires exactly 1 argument: NETWORK');
      if (a.driver !== 'bridge') throw new TsdockerError(`plugin "${a.driver}" not found (tsdocker has the bridge driver)`);
      const { createNetwork } = require('../network/bridge') as typeof import('../network/bridge');
      process.stdout.write(createNetwork(words[0], { subnet: a.subnet, gateway: a.gateway }).Id + '\n');
      return 0;
    }
    case 'ls':
    case 'list': {
      const nets = networks.listNetworks();
      const id = (n: { Id: string }) => (a.noTrunc ? n.Id : n.Id.slice(0, 12));
      if (a.quiet) process.stdout.write(nets.map((n) => id(n) + '\n').join(''));
      else if (a.format === 'json') {
        process.stdout.write(nets.map((n) => JSON.stringify({ CreatedAt: n.Created, Driver: n.Driver, ID: id(n),
          IPv6: String(n.EnableIPv6), Internal: String(n.Internal), Labels: '', Name: n.Name, Scope: n.Scope }) + '\n').join(''));
      } else {
        process.stdout.write(table(['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE'], nets.map((n) => [id(n), n.Name, n.Driver, n.Scope])));
      }
      return 0;
    }
    case 'inspect': {
      if (words.length === 0) throw new TsdockerError('"network inspect" requires at least 1 argument: NETWORK [NETWORK...]');
      const found = words.map((w) => networks.findNetwork(w));
      process.stdout.write(JSON.stringify(found.filter(Boolean).map((n) => manage.inspectNetwork(n!)), null, 4) + '\n');
      const missing = words.filter((_, i) => !found[i]);
      if (missing.length > 0) throw new TsdockerError(`network ${missing.join(', ')} not found`, { exitCode: 1 });
      return 0;
    }
    case 'connect':
    case 'disconnect': {
      if (words.length !== 2) throw new TsdockerError(`"network ${a.action}" requires exactly 2 arguments: NETWORK CONTAINER`);
      if (a.action === 'connect') await manage.connectContainer(words[0], words[1]);
      else manage.disconnectContainer(words[0], words[1]);
      return 0;
    }
    default: {
      if (words.length === 0) throw new TsdockerError('"network rm" requires at least 1 argument: NETWORK [NETWORK...]');
      let status = 0;
      for (const w of words) {
        try {
          manage.removeNetwork(w);
          process.stdout.write(w + '\n');
        } catch (err) {
          reportError(err);
          status = 1;
        }
      }
      return status;
    }
  }
}
