import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Orm } from '../db/orm.ts';
import { EgressGuard } from '../security/egress-guard.ts';
import { entryForUrl } from '../security/egress-policy.ts';
import type { Keys } from '../security/keys.ts';
import { AccountService } from './accounts.ts';
import type { AgentLifecycle } from './agent-lifecycle.ts';
import { AgentService } from './agents.ts';
import { ApiKeyService } from './api-keys.ts';
import { AuthService } from './auth.ts';
import { ConversationTransferService } from './conversation-transfer.ts';
import { type ConversationRuns, ConversationService } from './conversations.ts';
import { LlmTestService } from './llm-test.ts';
import { RunSettingsService } from './run-settings.ts';
import { SecretService } from './secrets.ts';
import { SettingsService } from './settings.ts';
import { UsageService } from './usage.ts';
import { WorkspaceService } from './workspace-files.ts';
import type { ConversationWorkspaces } from './workspaces.ts';

/** The services the routes call. Each takes the request's EntityManager and the caller's id, and throws domain errors. */
export interface Services {
  auth: AuthService;
  accounts: AccountService;
  agents: AgentService;
  conversations: ConversationService;
  /** A conversation's workspace files, changes and download links. */
  workspace: WorkspaceService;
  /** Conversations exported and imported as documents. */
  transfer: ConversationTransferService;
  settings: SettingsService;
  secrets: SecretService;
  apiKeys: ApiKeyService;
  llmTest: LlmTestService;
}

/** The leaf services: what the run machinery needs before the rest can be built (see server.ts). */
export interface CoreServices {
  /** Every outbound request made for a user goes through it (LLM calls, llm-test); its connections close with the server. */
  egress: EgressGuard;
  settings: SettingsService;
  secrets: SecretService;
  runSettings: RunSettingsService;
  usage: UsageService;
}

/**
 * The egress guard of `config`: `EGRESS_ALLOWED_HOSTS` and `ALLOW_PRIVATE_EGRESS`, and the server's own `LLM_BASE_URL`,
 * which is always allowed (the operator chose it).
 */
export function createEgressGuard(config: Config): EgressGuard {
  const own = config.llm.baseUrl ? [entryForUrl(config.llm.baseUrl)] : [];
  return new EgressGuard({ allowPrivate: config.egress.allowPrivate, allowed: [...config.egress.allowedHosts, ...own] });
}

export function createCoreServices(config: Config, keys: Keys): CoreServices {
  const egress = createEgressGuard(config);
  const settings = new SettingsService(keys, egress);
  const secrets = new SecretService(keys);
  return { egress, settings, secrets, runSettings: new RunSettingsService(config, settings, secrets, egress), usage: new UsageService() };
}

/**
 * The services built on the core ones: `lifecycle` is what starting and stopping an agent does, `runs` what runs
 * conversations and `workspaces` what opens their files (`null`: an app without a runner, see `ConversationService`).
 */
export function createServices(deps: {
  config: Config;
  keys: Keys;
  orm: Orm;
  logger: Logger;
  core: CoreServices;
  lifecycle: AgentLifecycle;
  runs: ConversationRuns | null;
  /** Conversations' workspaces (`null` with `runs`: an app without a runner). */
  workspaces: ConversationWorkspaces | null;
  version: string;
}): Services {
  const agents = new AgentService(deps.orm, deps.lifecycle, deps.logger, { egress: deps.core.egress, allowedImages: deps.config.sandboxAllowedImages });
  const conversations = new ConversationService(agents, deps.runs);
  return {
    auth: new AuthService(deps.config, deps.keys),
    accounts: new AccountService(agents),
    agents,
    conversations,
    workspace: new WorkspaceService(conversations, deps.workspaces, deps.keys.downloadSigning),
    transfer: new ConversationTransferService(conversations, agents, deps.version),
    settings: deps.core.settings,
    secrets: deps.core.secrets,
    apiKeys: new ApiKeyService(),
    llmTest: new LlmTestService(deps.core.runSettings),
  };
}
