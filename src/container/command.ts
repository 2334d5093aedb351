// What the container runs: Docker's rules for combining the image's ENTRYPOINT and CMD with the
// words after the image name and --entrypoint (moby daemon/commit.go `merge`, the CLI's
// --entrypoint handling, and the Dockerfile reference "Understand how CMD and ENTRYPOINT interact"):
//
//   image ENTRYPOINT  image CMD   run args   --entrypoint   runs
//   [ep]              [c]         -          -              ep c
//   [ep]              [c]         a b        -              ep a b
//   -                 [c]         a b        -              a b
//   [ep]              [c]         -          x              x        (CMD is dropped too)
//   [ep]              [c]         a          x              x a
//   [ep]              [c]         a          ""             a        ("" clears the entrypoint)
import { TsdockerError } from '../errors';

export interface CommandInput {
  imageEntrypoint?: string[] | null;
  imageCmd?: string[] | null;
  /** words after the image name on the command line */
  args: string[];
  /** undefined when --entrypoint was not given; "" when it was given empty */
  entrypoint?: string;
}

/** The Entrypoint and Cmd stored in the container's Config (what `inspect` shows). */
export interface ResolvedCommand {
  entrypoint: string[] | null;
  cmd: string[] | null;
}

export function resolveCommand(input: CommandInput): ResolvedCommand {
  let entrypoint: string[] | null;
  let cmd: string[] | null = input.args.length > 0 ? [...input.args] : null;
  if (input.entrypoint !== undefined) {
    // Any --entrypoint, even an empty one, replaces the image's and discards its CMD.
    entrypoint = input.entrypoint === '' ? null : [input.entrypoint];
  } else {
    entrypoint = nonEmpty(input.imageEntrypoint);
    if (cmd === null) cmd = nonEmpty(input.imageCmd);
  }
  return { entrypoint, cmd };
}

/** Path and Args as Docker reports them (daemon getEntrypointAndArgs): the first word is the
 *  program, the rest its arguments; argv for execve(2) is [path, ...args]. */
export function processArgs(resolved: ResolvedCommand): { path: string; args: string[] } {
  const words = [...(resolved.entrypoint ?? []), ...(resolved.cmd ?? [])];
  if (words.length === 0 || words[0] === '') {
    throw new TsdockerError('no command specified');
  }
  return { path: words[0], args: words.slice(1) };
}

function nonEmpty(list: string[] | null | undefined): string[] | null {
  return list && list.length > 0 ? [...list] : null;
}
