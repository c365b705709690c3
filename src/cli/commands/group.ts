import { layoutOf, resolveHome } from '../../node/home.ts';
import { addToGroup, listGroups, removeFromGroup, type GroupView } from '../../node/registry-admin.ts';
import { readRegistryFile } from '../../node/registry.ts';
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import type { CliContext, CommandSpec } from '../command.ts';
import { ExitCode } from '../exit-codes.ts';
import { noMoreArgs, subcommand } from '../subcommand.ts';

function registryFile(ctx: CliContext): string {
  return layoutOf(resolveHome(ctx.home, ctx.env)).registryFile;
}

function printGroup(ctx: CliContext, g: GroupView): void {
  const unknown = g.unknown.length > 0 ? ctx.out.style('yellow', `  (not in the registry: ${g.unknown.join(', ')})`) : '';
  ctx.out.line(`@${g.name}: ${g.members.length > 0 ? g.members.join(', ') : '(empty)'}${unknown}`);
}

export const command: CommandSpec = {
  name: 'group',
  summary: 'groups of peers for `mesh send @group`: list | add <group> <agent>… | remove <group> [agent…]',
  usage: ['group [list]', 'group add <group> <agent>…', 'group remove <group> [agent…]'],
  description:
    'Groups live in the registry (`groups` in config/agent-registry.json, bash\'s schema) and are addressed\n' +
    'as @<group> by mesh send. Changes are written atomically under a lock; a running mesh serve sees them\n' +
    'at once.\n\n' +
    '  list    every group and its members (members that left the registry are flagged)\n' +
    '  add     add agents to a group, creating it; every agent must be in the registry\n' +
    '  remove  take agents out of a group, or delete the group when no agent is named',
  options: {},
  examples: ['mesh group add ops beta gamma', 'mesh send @ops notification "deploy at 14:00"', 'mesh group remove ops gamma', 'mesh group list --json'],
  async run(ctx, args) {
    const { sub, rest } = subcommand('group', args.positionals, ['list', 'add', 'remove'] as const, 'list');
    const file = registryFile(ctx);
    const { out } = ctx;
    if (sub === 'list') {
      noMoreArgs('group list', rest);
      const groups = listGroups(readRegistryFile(file));
      if (out.json) out.data({ groups });
      else if (groups.length === 0) out.line('No groups yet: mesh group add <group> <agent>…');
      else for (const g of groups) printGroup(ctx, g);
      return ExitCode.Ok;
    }
    const [group, ...members] = rest;
    if (group === undefined) throw new MeshError(MeshErrorCode.InvalidArgument, `missing group name: mesh group ${sub} <group> …`);
    const name = group.replace(/^@/, '');
    if (sub === 'add') {
      const g = addToGroup(file, name, members);
      if (out.json) out.data({ ok: true, group: g });
      else printGroup(ctx, g);
      return ExitCode.Ok;
    }
    const g = removeFromGroup(file, name, members);
    if (out.json) out.data({ ok: true, deleted: g === null, group: g });
    else if (g === null) out.line(`${out.style('green', '✓')} deleted group @${name}`);
    else printGroup(ctx, g);
    return ExitCode.Ok;
  },
};
