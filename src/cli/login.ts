// `tsdocker login`: check a user name and password against a registry, then store them in
// Docker's config.json (src/registry/credentials.ts) for later pulls. The flags are Docker's.
import type { Argv } from './parser';
import { TsdockerError } from '../errors';
import { verifyLogin } from '../registry/client';
import { dockerConfigPath, readCredential, registryDomain, saveCredential, type Credential } from '../registry/credentials';

export const command = 'login [server]';
export const describe = 'Log in to a registry';

export function builder(y: Argv): Argv {
  return y
    .positional('server', { type: 'string', describe: 'Registry host[:port] (default Docker Hub)' })
    .option('username', { alias: 'u', type: 'string', describe: 'Username' })
    .option('password', { alias: 'p', type: 'string', describe: 'Password' })
    .option('password-stdin', { type: 'boolean', describe: 'Take the password from stdin' })
    .example('tsdocker login -u student 127.0.0.1:5000', 'asks for the password')
    .example('echo "$PW" | tsdocker login -u student --password-stdin 127.0.0.1:5000', 'for scripts');
}

interface LoginArgs {
  server?: string;
  username?: string;
  password?: string;
  passwordStdin?: boolean;
}

export async function handler(args: LoginArgs): Promise<number> {
  const server = registryDomain(args.server);
  const credential = await askCredential(server, args);
  await verifyLogin(server, credential);
  saveCredential(server, credential);
  process.stderr.write(`WARNING! Your password will be stored unencrypted in ${dockerConfigPath()}.\n`);
  process.stdout.write('Login Succeeded\n');
  return 0;
}

async function askCredential(server: string, args: LoginArgs): Promise<Credential> {
  if (args.password !== undefined && args.passwordStdin) {
    throw new TsdockerError('--password and --password-stdin are mutually exclusive');
  }
  if (args.passwordStdin && !args.username) {
    throw new TsdockerError('must provide --username with --password-stdin');
  }
  if (args.password !== undefined) {
    process.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
  }
  let password = args.passwordStdin ? (await readAll(process.stdin)).replace(/\r?\n$/, '') : args.password;
  let username = args.username;
  if (username !== undefined && password !== undefined) return checked({ username, password });

  if (!process.stdin.isTTY) {
    throw new TsdockerError('cannot perform an interactive login from a non TTY device; use -u and --password-stdin');
  }
  const stored = readCredential(server);
  username ??= (await prompt(`Username${stored ? ` (${stored.username})` : ''}: `, true)) || stored?.username;
  password ??= await prompt('Password: ', false);
  return checked({ username: username ?? '', password });
}

function checked(c: Credential): Credential {
  if (!c.username) throw new TsdockerError('username is required');
  if (!c.password) throw new TsdockerError('password is required');
  if (c.username.includes(':')) throw new TsdockerError('username must not contain ":"');
  return c;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Read one line from the terminal. For a password the terminal is put in raw mode (termios(3):
 * no echo, no line editing), so we see each key and echo nothing, handling Backspace, Enter
 * and Ctrl-C ourselves.
 */
function prompt(question: string, echo: boolean): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let line = '';
    const done = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(line);
    };
    const onData = (data: Buffer) => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new TsdockerError('login cancelled'));
        if (ch === '\u007f' || ch === '\b') {
          if (line && echo) process.stderr.write('\b \b');
          line = line.slice(0, -1);
        } else if (ch >= ' ') {
          line += ch;
          if (echo) process.stderr.write(ch);
        }
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
