/**
 * The CLI dispatcher: parses the command line, lazy-loads the command, maps errors to exit codes.
 * bin.ts is the executable wrapper that passes the process globals in.
 */
import { parseArgs } from 'node:util';
import { isMeshError } from '../protocol/errors.ts';
import { globalOptions, type CliContext, type CommandSpec, type ParsedArgs } from './command.ts';
import { commands } from './commands/index.ts';
import { ExitCode, exitCodeForError } from './exit-codes.ts';
import { closest, commandHelp, mainHelp } from './help.ts';
import { Output } from './output.ts';
import { packageVersion } from './package-version.ts';

function parse(spec: CommandSpec, argv: string[]): ParsedArgs {
  const options: NonNullable<Parameters<typeof parseArgs>[0]>['options'] = {};
  for (const [name, o] of Object.entries({ ...globalOptions, ...spec.options })) {
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true, allowNegative: false });
  return { values: values as ParsedArgs['values'], positionals };
}

export async function main(argv: string[], ctxBase: Omit<CliContext, 'out' | 'home'>): Promise<number> {
  const wantsJson = argv.includes('--json');
  const color = Boolean((ctxBase.stdout as { isTTY?: boolean }).isTTY) && !ctxBase.env['NO_COLOR'];
  const out = new Output({ stdout: ctxBase.stdout, stderr: ctxBase.stderr, json: wantsJson, color });
  const [name, ...rest] = argv;

  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const target = name === 'help' ? rest[0] : undefined;
    const entry = target ? commands.find((c) => c.name === target) : undefined;
    ctxBase.stdout.write(entry ? commandHelp(await entry.load()) : mainHelp(commands, packageVersion()));
    return name === undefined ? ExitCode.Usage : ExitCode.Ok;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    ctxBase.stdout.write(`${packageVersion()}\n`);
    return ExitCode.Ok;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    const guess = closest(name, commands.map((c) => c.name));
    out.error(`unknown command "${name}"${guess ? ` — did you mean "${guess}"?` : ''} (see mesh --help)`);
    return ExitCode.Usage;
  }
  const spec = await entry.load();
  let args: ParsedArgs;
  try {
    args = parse(spec, rest);
  } catch (e) {
    const msg = (e as Error).message;
    const opt = /'(--?[\w-]+)'/.exec(msg)?.[1];
    const guess = opt ? closest(opt.replace(/^-+/, ''), Object.keys({ ...globalOptions, ...spec.options })) : null;
    out.error(`${msg}${guess ? ` — did you mean --${guess}?` : ''}\n${commandHelp(spec).split('\n').slice(0, 1 + spec.usage.length).join('\n')}`);
    return ExitCode.Usage;
  }
  if (args.values['help'] === true) {
    ctxBase.stdout.write(commandHelp(spec));
    return ExitCode.Ok;
  }
  const home = typeof args.values['home'] === 'string' ? args.values['home'] : undefined;
  const ctx: CliContext = { ...ctxBase, out, home };
  try {
    return await spec.run(ctx, args);
  } catch (e) {
    if (isMeshError(e)) {
      if (out.json) out.data({ ok: false, error: { code: e.code, message: e.message } });
      else out.error(e.message);
      return exitCodeForError(e.code);
    }
    out.error(`unexpected failure: ${(e as Error).stack ?? String(e)}`);
    return ExitCode.Error;
  }
}
