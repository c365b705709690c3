/**
 * A CLI command: its spec (used for parsing and for `--help`) and its run function. Commands get a
 * context instead of touching process globals, so tests can call them directly.
 */
import type { Readable, Writable } from 'node:stream';
import type { Output } from './output.ts';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Shown in help: `--name <placeholder>`. */
  placeholder?: string;
  description: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Usage lines without the leading `mesh `. */
  usage: string[];
  description?: string;
  options: Record<string, OptionSpec>;
  examples?: string[];
  run(ctx: CliContext, args: ParsedArgs): Promise<number>;
}

export interface ParsedArgs {
  positionals: string[];
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
}

export interface CliContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  out: Output;
  /** --home, if given globally or to the command. */
  home: string | undefined;
  /** Aborted on SIGINT/SIGTERM so waiting commands stop cleanly. */
  signal: AbortSignal;
}

/** Options every command accepts. */
export const globalOptions: Record<string, OptionSpec> = {
  home: { type: 'string', placeholder: 'dir', description: 'node home folder (default: $MESH_HOME or ~/.mesh)' },
  json: { type: 'boolean', description: 'machine-readable JSON output' },
  help: { type: 'boolean', short: 'h', description: 'show help for this command' },
};

export function str(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}
export function flag(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}
export function list(args: ParsedArgs, name: string): string[] {
  const v = args.values[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
}
