/**
 * Options given once, or read again at each use (a node's live configuration: ARCHITECTURE.md
 * "Live configuration"), turned into what a service works with. `derive` runs again only when the
 * source returns a different object, so a service can ask on every message at no cost. A new input
 * that does not derive (invalid) keeps the last good value and is reported to `onRefused`; the
 * first input must derive, and its error is thrown to the caller.
 */
export type OptionsSource<I> = I | (() => I);

export function derivedOptions<I extends object, O>(
  source: OptionsSource<I>,
  derive: (input: I) => O,
  onRefused?: (error: unknown) => void,
): () => O {
  if (typeof source !== 'function') {
    const fixed = derive(source);
    return () => fixed;
  }
  const read = source as () => I;
  let input = read();
  let value = derive(input);
  return () => {
    const next = read();
    if (next !== input) {
      input = next;
      try {
        value = derive(next);
      } catch (e) {
        onRefused?.(e);
      }
    }
    return value;
  };
}
