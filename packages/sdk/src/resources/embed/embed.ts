import type { ApiClient } from '../../core/api-client.ts';
import { APIResource } from '../resource.ts';
import { EmbedSessions } from './sessions.ts';
import { VisitorConversations } from './visitor-conversations.ts';

/** `/api/v1/embed`: what a web page embedding an agent calls for its visitor. */
export class Embed extends APIResource {
  /** `/embed/sessions`: visitor sessions (no credentials needed: the publishable key and the page's origin are checked). */
  readonly sessions: EmbedSessions;
  /** `/embed/conversations`: the visitor's conversations (with a visitor token). */
  readonly conversations: VisitorConversations;

  /** @internal */
  constructor(client: ApiClient) {
    super(client);
    this.sessions = new EmbedSessions(client);
    this.conversations = new VisitorConversations(client);
  }
}
