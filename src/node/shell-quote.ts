/** POSIX single-quoting: the result is one shell word whose value is exactly `s`, safe to eval. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}
