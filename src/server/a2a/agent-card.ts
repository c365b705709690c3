/**
 * The node's public Agent Card (A2A 1.0 §8): who it is, where its JSON-RPC interface is, that it
 * streams, that every call needs a bearer token, and the skills config/mesh.json lists (one generic
 * skill when none are). Holds nothing secret.
 */
import { A2A_BINDING_JSONRPC, A2A_JSONRPC_PATH, A2A_PROTOCOL_VERSION } from '../../protocol/a2a/a2a-wire.ts';
import type { MeshNode } from '../../node/mesh-node.ts';

export function agentCard(node: MeshNode, baseUrl: string, version: string): Record<string, unknown> {
  const c = node.config.a2a;
  const skills = c.skills.length > 0 ? c.skills : [{
    id: 'ask', name: `Ask ${node.self}`, description: `A request to the agent behind the MESH node ${node.self}; its reply is the task's artifact.`,
    tags: ['mesh'], examples: [],
  }];
  return {
    name: c.name ?? node.self,
    description: c.description,
    version,
    supportedInterfaces: [{ url: `${baseUrl}${A2A_JSONRPC_PATH}`, protocolBinding: A2A_BINDING_JSONRPC, protocolVersion: A2A_PROTOCOL_VERSION }],
    capabilities: { streaming: true, pushNotifications: false },
    securitySchemes: {
      bearer: { httpAuthSecurityScheme: { scheme: 'Bearer', description: 'A per-client token from the MESH registry (a2aClients)' } },
    },
    securityRequirements: [{ schemes: { bearer: { list: [] } } }],
    defaultInputModes: ['text/plain', 'application/json'],
    defaultOutputModes: ['text/plain'],
    skills: skills.map((s) => ({ id: s.id, name: s.name, description: s.description, tags: s.tags, examples: s.examples })),
  };
}
