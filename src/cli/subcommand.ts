/** Positional sub-commands (`mesh queue drain beta`) and agent-name arguments, validated with usage errors. */
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import { assertAgentName } from '../protocol/names.ts';
import { closest } from './help.ts';

/** The first positional if it names a sub-command, else `fallback`; unknown words are usage errors. */
export function subcommand<T extends string>(command: string, positionals: readonly string[], known: readonly T[], fallback: T): { sub: T; rest: string[] } {
  const [first, ...rest] = positionals;
  if (first === undefined) return { sub: fallback, rest: [] };
  if ((known as readonly string[]).includes(first)) return { sub: first as T, rest };
  const guess = closest(first, known);
  throw new MeshError(
    MeshErrorCode.InvalidArgument,
    `unknown sub-command "${first}" for mesh ${command}${guess ? ` — did you mean "${guess}"?` : ''} (expected ${known.join(' | ')}; see mesh ${command} --help)`,
  );
}

/** An optional agent filter from a positional and/or --agent; `all` means no filter. */
export function agentFilter(positional: string | undefined, option: string | undefined): string | undefined {
  if (positional !== undefined && option !== undefined && positional !== option) {
    throw new MeshError(MeshErrorCode.InvalidArgument, `two different agents given ("${positional}" and --agent "${option}"): give one`);
  }
  const name = positional ?? option;
  if (name === undefined || name === 'all') return undefined;
  return assertAgentName(name, 'agent');
}

/** Refuses positionals beyond what a sub-command takes. */
export function noMoreArgs(command: string, extra: readonly string[]): void {
  if (extra.length > 0) {
    throw new MeshError(MeshErrorCode.InvalidArgument, `unexpected argument "${extra[0]}" for mesh ${command} (see mesh ${command.split(' ')[0]} --help)`);
  }
}
