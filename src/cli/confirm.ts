/**
 * Confirmation for destructive commands. Safe by default: with `--yes` the command proceeds; on an
 * interactive terminal the user is asked (y/N, anything but y/yes declines); in a script (stdin not
 * a TTY) or with --json, where nobody can answer, the command refuses with a usage error.
 */
import { createInterface } from 'node:readline';
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import type { CliContext } from './command.ts';

export async function confirm(ctx: CliContext, question: string, yes: boolean, retryHint: string): Promise<boolean> {
  if (yes) return true;
  const interactive = Boolean((ctx.stdin as { isTTY?: boolean }).isTTY) && !ctx.out.json;
  if (!interactive) {
    throw new MeshError(MeshErrorCode.InvalidArgument, `${question.replace(/\?$/, '')}: refusing without --yes when nobody can confirm (stdin is not a terminal or --json); run: ${retryHint}`);
  }
  const rl = createInterface({ input: ctx.stdin, output: ctx.stderr, terminal: false });
  let onAbort = (): void => {};
  try {
    // The callback form answers synchronously on the line, before a following end-of-input closes
    // the interface; end of input or Ctrl-C without an answer is a no.
    return await new Promise<boolean>((resolve) => {
      onAbort = (): void => resolve(false);
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      rl.once('close', () => resolve(false));
      rl.question(`${question} [y/N] `, (answer) => resolve(/^\s*y(es)?\s*$/i.test(answer)));
    });
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    rl.close();
  }
}
