// `tsdocker logout`: forget the credentials stored for a registry in Docker's config.json.
import type { Argv } from './parser';
import { credentialKey, registryDomain, removeCredential } from '../registry/credentials';

export const command = 'logout [server]';
export const describe = 'Log out from a registry';

export function builder(y: Argv): Argv {
  return y
    .positional('server', { type: 'string', describe: 'Registry host[:port] (default Docker Hub)' })
    .example('tsdocker logout 127.0.0.1:5000', 'forget the password stored for a local registry');
}

export async function handler(args: { server?: string }): Promise<number> {
  const key = credentialKey(registryDomain(args.server));
  if (removeCredential(key)) process.stdout.write(`Removing login credentials for ${key}\n`);
  else process.stdout.write(`Not logged in to ${key}\n`);
  return 0;
}
