// `--trace` prints each kernel-level step to stderr as it happens, so a student can watch a
// container being made: clone flags, mounts, pivot_root, cgroup writes, execve. The native helper
// prints its own steps in the same format when the spec asks it to.

let enabled = process.env.TSDOCKER_TRACE === '1';

export function setTrace(on: boolean): void {
  enabled = on;
  // Child processes (the native helper, a re-executed tsdocker) inherit the setting.
  if (on) process.env.TSDOCKER_TRACE = '1';
}

export function tracing(): boolean {
  return enabled;
}

/** trace("cgroup", "write memory.max = 33554432") -> "[trace] cgroup: write memory.max = 33554432" */
export function trace(area: string, message: string): void {
  if (enabled) process.stderr.write(`[trace] ${area}: ${message}\n`);
}
