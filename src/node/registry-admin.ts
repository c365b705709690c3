/**
 * Registry administration used by `mesh peer` and `mesh group` (and later the SDK): every change
 * goes through updateRegistry (locked, atomic), so nobody edits the JSON by hand and a running
 * daemon applies it to the next message.
 */
import { MeshError, MeshErrorCode } from '../protocol/errors.ts';
import { assertAgentName } from '../protocol/names.ts';
import { updateRegistry } from './registry-edit.ts';
import type { RegistryFile } from './registry.ts';

export interface PeerRemoval {
  peer: string;
  /** Groups the peer was taken out of. */
  groups: string[];
}

/** Removes a peer and its group memberships. Its key files stay where they are. */
export function removePeer(registryFile: string, self: string, name: string): PeerRemoval {
  const peer = assertAgentName(name, 'peer name');
  if (peer === self) throw new MeshError(MeshErrorCode.InvalidArgument, `"${peer}" is this node: it cannot be removed from its own registry`);
  return updateRegistry(registryFile, (reg) => {
    if (!Object.hasOwn(reg.agents, peer)) throw new MeshError(MeshErrorCode.UnknownAgent, `"${peer}" is not in the registry`);
    delete reg.agents[peer];
    const groups: string[] = [];
    for (const [g, members] of Object.entries(reg.groups ?? {})) {
      if (Array.isArray(members) && members.includes(peer)) {
        (reg.groups as Record<string, string[]>)[g] = members.filter((m) => m !== peer);
        groups.push(g);
      }
    }
    return { peer, groups };
  });
}

export interface GroupView {
  name: string;
  members: string[];
  /** Members that are not (or no longer) in the registry: sends to the group fail for them. */
  unknown: string[];
}

export function listGroups(reg: RegistryFile): GroupView[] {
  return Object.entries(reg.groups ?? {}).map(([name, members]) => {
    const list = Array.isArray(members) ? members.filter((m): m is string => typeof m === 'string') : [];
    return { name, members: list, unknown: list.filter((m) => !Object.hasOwn(reg.agents, m)) };
  });
}

function groupsOf(reg: RegistryFile): Record<string, string[]> {
  reg.groups ??= {};
  return reg.groups;
}

/** Adds members to a group (created if missing). Members must be in the registry. */
export function addToGroup(registryFile: string, group: string, members: readonly string[]): GroupView {
  const g = assertAgentName(group, 'group name');
  if (members.length === 0) throw new MeshError(MeshErrorCode.InvalidArgument, `say which agents to add: mesh group add ${g} <agent>…`);
  return updateRegistry(registryFile, (reg) => {
    for (const m of members) {
      assertAgentName(m, 'agent name');
      if (!Object.hasOwn(reg.agents, m)) throw new MeshError(MeshErrorCode.UnknownAgent, `"${m}" is not in the registry (mesh join ${m} …)`);
    }
    const groups = groupsOf(reg);
    const current = Array.isArray(groups[g]) ? groups[g] : [];
    const next = [...current];
    for (const m of members) if (!next.includes(m)) next.push(m);
    groups[g] = next;
    return { name: g, members: next, unknown: [] };
  });
}

/** Removes members from a group, or the whole group when no member is named. Null: group deleted. */
export function removeFromGroup(registryFile: string, group: string, members: readonly string[]): GroupView | null {
  const g = assertAgentName(group, 'group name');
  return updateRegistry(registryFile, (reg) => {
    const groups = groupsOf(reg);
    if (!Object.hasOwn(groups, g)) throw new MeshError(MeshErrorCode.UnknownGroup, `there is no group "${g}"`);
    if (members.length === 0) {
      delete groups[g];
      return null;
    }
    const current = Array.isArray(groups[g]) ? groups[g] : [];
    const missing = members.filter((m) => !current.includes(m));
    if (missing.length > 0) throw new MeshError(MeshErrorCode.InvalidArgument, `not in group "${g}": ${missing.join(', ')}`);
    groups[g] = current.filter((m) => !members.includes(m));
    return { name: g, members: groups[g], unknown: groups[g].filter((m) => !Object.hasOwn(reg.agents, m)) };
  });
}
