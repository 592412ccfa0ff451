import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Orm } from '../db/orm.ts';
import type { Keys } from '../security/keys.ts';
import { AccountService } from './accounts.ts';
import type { AgentRuntime } from './agent-runtime.ts';
import type { ConversationRunner } from '../runtime/conversation-runner.ts';
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

/** What runs conversations and agents; built from the services it needs (see runtime/). */
export interface Runtime {
  runner: ConversationRunner;
  agentRuntime: AgentRuntime;
}

export function createServices(deps: {
  config: Config;
  keys: Keys;
  orm: Orm;
  logger: Logger;
  makeRuntime: (services: { settings: SettingsService; secrets: SecretService }) => Runtime;
}): Services {
  const settings = new SettingsService(deps.keys);
  const secrets = new SecretService(deps.keys);
  const runtime = deps.makeRuntime({ settings, secrets });
  const agents = new AgentService(deps.orm, runtime.agentRuntime, deps.logger);
  return {
    auth: new AuthService(deps.config, deps.keys),
    accounts: new AccountService(agents),
    agents,
    conversations: new ConversationService(agents, runtime.runner),
    settings,
    secrets,
    apiKeys: new ApiKeyService(),
  };
}
