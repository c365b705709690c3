/**
 * `mesh join <name> --a2a <card URL> [token]`: reads an A2A agent's card and makes the registry
 * entry that reaches it (`transport: "a2a"`, `url` = its JSON-RPC endpoint). A URL without a path
 * means the card at its well-known place.
 */
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';
import { A2A_CARD_PATH } from '../../protocol/a2a/a2a-wire.ts';
import { readAgentCard } from '../../transports/a2a/a2a-client.ts';
import type { RegistryEntry } from '../registry.ts';

export const A2A_CARD_TIMEOUT_MS = 10_000;

export function cardUrlOf(given: string): string {
  let u: URL;
  try {
    u = new URL(given);
  } catch {
    throw new MeshError(MeshErrorCode.InvalidArgument, '--a2a needs the http(s) URL of the agent card (or of its server)');
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.username !== '' || u.password !== '') {
    throw new MeshError(MeshErrorCode.InvalidArgument, '--a2a needs an http(s) URL without credentials');
  }
  if (u.pathname === '/' || u.pathname === '') u.pathname = A2A_CARD_PATH;
  return u.toString();
}

export async function a2aPeerEntry(cardUrl: string, token: string | null, prev: RegistryEntry): Promise<{ entry: RegistryEntry; cardName: string }> {
  let card: Awaited<ReturnType<typeof readAgentCard>>;
  try {
    card = await readAgentCard(cardUrl, A2A_CARD_TIMEOUT_MS);
  } catch (e) {
    throw new MeshError(MeshErrorCode.DeliveryFailed, `could not read the agent card at ${cardUrl}: ${(e as Error).message}`.slice(0, 300));
  }
  let endpoint: URL;
  try {
    endpoint = new URL(card.endpoint, cardUrl);
  } catch {
    throw new MeshError(MeshErrorCode.InvalidArgument, 'the agent card names an endpoint that is not a URL');
  }
  if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') throw new MeshError(MeshErrorCode.InvalidArgument, 'the agent card names a non-http(s) endpoint');
  const entry: RegistryEntry = { ...prev, transport: 'a2a', url: endpoint.toString(), cardUrl, signing: false, encryption: 'none' };
  delete entry['ip'];
  delete entry['port'];
  delete entry['hookPath'];
  if (token !== null) entry['token'] = token;
  return { entry, cardName: card.name.slice(0, 200) };
}
