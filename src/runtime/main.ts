// A standalone runner, like `runc run`: runs one bundle in the foreground, without the engine.
//   node dist/src/runtime/main.js [--trace] [-i] [--id ID] BUNDLE
// The integration tests use it to drive the runtime through a real terminal and real signals.
import * as path from 'node:path';
import { TsdockerError, EXIT_TSDOCKER } from '../errors';
import { setTrace } from '../trace';
import { runBundle } from './index';

async function main(argv: string[]): Promise<number> {
  let stdin = false;
  let id = '';
  let bundle = '';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-i') stdin = true;
    else if (a === '--trace') setTrace(true);
    else if (a === '--id') id = argv[++i] ?? '';
    else bundle = a;
  }
  if (!bundle) throw new TsdockerError('usage: main.js [--trace] [-i] [--id ID] BUNDLE');
  const status = await runBundle({ bundle, id: id || path.basename(path.resolve(bundle)), stdin });
  return status.exitCode;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`tsdocker: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(err instanceof TsdockerError ? err.exitCode : EXIT_TSDOCKER);
});
