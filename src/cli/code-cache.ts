// What a command tells launch.ts about its V8 code cache. The cache holds every function the
// process that wrote it had compiled, and every later run of the command deserializes all of it
// first. A command that took a path it seldom takes says so here, and what it compiled is not
// added: the first `run` of an image pulls it, and a `run` cache made then carried the registry
// client and layer unpacking for good (554 KB instead of 368 KB here, ~1.5 ms on every later run).
let skipped = false;

/** This process took an unusual path: launch.ts adds nothing to the command's code cache. */
export function skipCodeCache(): void {
  skipped = true;
}

export function codeCacheSkipped(): boolean {
  return skipped;
}
