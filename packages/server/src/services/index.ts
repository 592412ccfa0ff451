import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Orm } from '../db/orm.ts';
import type { Keys } from '../security/keys.ts';
import { AccountService } from './accounts.ts';
import { ConfigCheckingRuntime, type AgentRuntime } from './agent-runtime.ts';
import { AgentService } from './agents.ts';
import { ApiKeyService } from './api-keys.ts';
import { AuthService } from './auth.ts';
import { ConversationService } from './conversations.ts';
import { SecretService } from './secrets.ts';
import { SettingsService } from './settings.ts';

export interface Services {
  auth: AuthService;
  accounts: AccountService;
  agents: AgentService;
  conversations: ConversationService;
  settings: SettingsService;
  secrets: SecretService;
  apiKeys: ApiKeyService;
}

export function createServices(deps: { config: Config; keys: Keys; orm: Orm; logger: Logger; agentRuntime?: AgentRuntime }): Services {
  const agents = new AgentService(deps.orm, deps.agentRuntime ?? new ConfigCheckingRuntime(), deps.logger);
  return {
    auth: new AuthService(deps.config, deps.keys),
    accounts: new AccountService(agents),
    agents,
    conversations: new ConversationService(agents),
    settings: new SettingsService(deps.keys),
    secrets: new SecretService(deps.keys),
    apiKeys: new ApiKeyService(),
  };
}
