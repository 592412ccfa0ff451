import type { TokenProvider } from '@metisai/sdk/lean';
import { WidgetConfigError, type ChatConnection } from './chat-connection.ts';
import { OwnerConnection } from './owner-connection.ts';
import { VisitorConnection } from './visitor-connection.ts';

export interface ConnectionSettings {
  server: string | undefined;
  agentId: string | undefined;
  publishableKey: string | undefined;
  token: string | undefined;
  tokenProvider: TokenProvider | undefined;
}

const isApiKey = (token: string) => token.startsWith('metis_');

/** A provider whose answers are checked like `token`: an API key is refused. */
const refuseApiKeys =
  (provider: TokenProvider): TokenProvider =>
  async () => {
    const token = await provider();
    if (isApiKey(token)) throw apiKeyRefused();
    return token;
  };

const apiKeyRefused = () =>
  new WidgetConfigError(
    'api_key_refused',
    '<metis-chat>: refusing an API key (metis_…) as a token: the page would leak it to its visitors. Give a session token or a tokenProvider.',
  );

/**
 * Picks the connection for the element's attributes, or throws a `WidgetConfigError`:
 * - `token` / `tokenProvider`: owner mode (a session JWT). A `metis_…` API key is refused: page HTML would leak it.
 * - `publishable-key`: visitor mode (the server's embedding routes, `/api/v1/embed/…`), when no token is given.
 */
export function createConnection(settings: ConnectionSettings): ChatConnection {
  const server = settings.server?.trim();
  if (!server) throw new WidgetConfigError('missing_server', '<metis-chat>: the `server` attribute is required');
  if (settings.token !== undefined && isApiKey(settings.token)) throw apiKeyRefused();
  const provider = settings.tokenProvider;
  const token = provider ? refuseApiKeys(provider) : settings.token;
  if (token) return new OwnerConnection({ server, token, agentId: settings.agentId });
  if (settings.publishableKey) return new VisitorConnection({ server, publishableKey: settings.publishableKey, agentId: settings.agentId });
  throw new WidgetConfigError('missing_credentials', '<metis-chat>: give a `token`, a `tokenProvider` or a `publishable-key`');
}
