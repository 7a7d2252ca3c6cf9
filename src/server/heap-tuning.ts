import { setFlagsFromString } from 'node:v8';

/** V8 flags a serving process sets on itself unless the operator passed one of them to node. */
export const SERVING_V8_FLAGS: readonly string[] = ['--no-allocation-site-pretenuring'];

/**
 * Turns off V8's allocation-site pretenuring for the serving process (issue 19). A request's
 * objects live for one group-committed fdatasync (milliseconds), so many are still alive at a
 * young-generation collection; V8 reads that as "these sites make long-lived objects" and starts
 * allocating them in the old generation. Under load that promoted ~1 MB per scavenge, made each
 * scavenge twice as slow and grew the old generation by ~30 MB/s between full collections.
 * Returns the flags set (none when `execArgv` already names one: the operator's choice wins).
 */
export function tuneHeapForServing(execArgv: readonly string[] = process.execArgv): string[] {
  const given = new Set(execArgv.map(flagName));
  const set = SERVING_V8_FLAGS.filter((flag) => !given.has(flagName(flag)));
  for (const flag of set) setFlagsFromString(flag);
  return set;
}

/** A V8 flag's name whatever its spelling: `--no_foo_bar=1` and `--foo-bar` are both `foo-bar`. */
function flagName(arg: string): string {
  return arg
    .replace(/_/g, '-')
    .replace(/^--(no-)?/, '')
    .split('=')[0]!;
}
