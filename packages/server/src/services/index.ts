import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { AdvisoryLocks } from '../db/advisory-locks.ts';
import type { Orm } from '../db/orm.ts';
import { EgressGuard } from '../security/egress-guard.ts';
import { entryForUrl } from '../security/egress-policy.ts';
import { TokenBuckets } from '../db/token-buckets.ts';
import type { Keys } from '../security/keys.ts';
import { type AccountSandboxes, AccountService } from './accounts.ts';
import type { AgentLifecycle } from './agent-lifecycle.ts';
import { AgentService } from './agents.ts';
import { ApiKeyService } from './api-keys.ts';
import { AuthService } from './auth.ts';
import { ConversationForkService } from './conversation-fork.ts';
import { ConversationTransferService } from './conversation-transfer.ts';
import { type ConversationRuns, ConversationService } from './conversations.ts';
import { EmbedQuotaService } from './embed-quotas.ts';
import { LlmTestService } from './llm-test.ts';
import { QuotaService } from './quotas.ts';
import type { RevocationChannel } from './revocations.ts';
import { RunSettingsService } from './run-settings.ts';
import { SecretService } from './secrets.ts';
import { PublishableKeyService } from './publishable-keys.ts';
import { SettingsService } from './settings.ts';
import { UsageService } from './usage.ts';
import { VisitorService } from './visitors.ts';
import { WorkspaceService } from './workspace-files.ts';
import type { ConversationWorkspaces } from './workspaces.ts';
import { WorkspaceSnapshots } from './workspace-snapshots.ts';

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
  /** Conversations forked at a step, with their workspace as it was then. */
  fork: ConversationForkService;
  /** Workspace snapshots (pruning; the runner records them). */
  snapshots: WorkspaceSnapshots;
  settings: SettingsService;
  secrets: SecretService;
  apiKeys: ApiKeyService;
  llmTest: LlmTestService;
  quotas: QuotaService;
  /** Token usage per day (`GET /usage`). */
  usage: UsageService;
  /** The shared rate limits (the auth middleware's per-user and failed-credential limits too). */
  buckets: TokenBuckets;
  publishableKeys: PublishableKeyService;
  visitors: VisitorService;
  embedQuotas: EmbedQuotaService;
}

/** The leaf services: what the run machinery needs before the rest can be built (see server.ts). */
export interface CoreServices {
  /** Every outbound request made for a user goes through it (LLM calls, llm-test); its connections close with the server. */
  egress: EgressGuard;
  settings: SettingsService;
  secrets: SecretService;
  runSettings: RunSettingsService;
  usage: UsageService;
  quotas: QuotaService;
  /** Visitors' messages, tokens and streams (embedded agents). */
  embedQuotas: EmbedQuotaService;
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
  const quotas = new QuotaService(config.quotas);
  return {
    egress,
    settings,
    secrets,
    runSettings: new RunSettingsService(config, settings, secrets, egress),
    usage: new UsageService(),
    quotas,
    embedQuotas: new EmbedQuotaService({ streamsPerVisitor: config.quotas.streamsPerVisitor }),
  };
}

/**
 * Why visitors cannot be served with this sandbox driver, or null: the local driver isolates nothing, so embedding
 * on it needs `ALLOW_UNSAFE_LOCAL_SANDBOX=true`.
 */
export const embedUnavailableOn = (driver: 'docker' | 'local' | null, config: Config): string | null =>
  driver === 'local' && !config.allowUnsafeLocalSandbox
    ? 'This server runs sandboxes with the local driver, which isolates nothing: embedding needs Docker (or ALLOW_UNSAFE_LOCAL_SANDBOX=true)'
    : null;

/**
 * The services built on the core ones: `lifecycle` is what starting and stopping an agent does, `runs` what runs
 * conversations, `workspaces` what opens their files, and `sandboxes` what removes an account's sandboxes (`null`: an app
 * without a runner, see `ConversationService`); `runs` also hears when an agent's start or stop is over; `revocations`
 * carries revoked credentials to every process (the control channel); `sandboxDriver` names the driver sandboxes run on
 * (null: none yet), asked when visitors come.
 */
export function createServices(deps: {
  config: Config;
  keys: Keys;
  orm: Orm;
  logger: Logger;
  core: CoreServices;
  lifecycle: AgentLifecycle;
  runs: ConversationRuns | null;
  sandboxes: AccountSandboxes | null;
  revocations: RevocationChannel;
  sandboxDriver: () => 'docker' | 'local' | null;
  /** Guards agent transitions, so that recovery can end those a dead process left (absent: no guard, no recovery). */
  locks?: AdvisoryLocks;
  /** Conversations' workspaces (`null` with `runs`: an app without a runner). */
  workspaces: ConversationWorkspaces | null;
  /** The snapshot store the runner records into (default: one of this app's own). */
  snapshots?: WorkspaceSnapshots;
  version: string;
}): Services {
  const agents = new AgentService(
    deps.orm,
    deps.lifecycle,
    deps.logger,
    { egress: deps.core.egress, allowedImages: deps.config.sandboxAllowedImages, quotas: deps.core.quotas, revocations: deps.revocations },
    { listener: deps.runs, locks: deps.locks },
  );
  const snapshots = deps.snapshots ?? new WorkspaceSnapshots({ orm: deps.orm, logger: deps.logger });
  const conversations = new ConversationService(agents, deps.runs, deps.core.egress, snapshots);
  const buckets = new TokenBuckets();
  const auth = new AuthService({ config: deps.config, keys: deps.keys, buckets, revocations: deps.revocations });
  return {
    auth,
    accounts: new AccountService({ auth, agents, revocations: deps.revocations, sandboxes: deps.sandboxes }),
    agents,
    conversations,
    workspace: new WorkspaceService(conversations, deps.workspaces, deps.keys.downloadSigning),
    transfer: new ConversationTransferService(conversations, agents, deps.version),
    fork: new ConversationForkService(conversations, snapshots),
    snapshots,
    settings: deps.core.settings,
    secrets: deps.core.secrets,
    apiKeys: new ApiKeyService(deps.revocations),
    llmTest: new LlmTestService(deps.core.runSettings),
    quotas: deps.core.quotas,
    usage: deps.core.usage,
    buckets,
    publishableKeys: new PublishableKeyService(deps.revocations),
    visitors: new VisitorService({
      keys: deps.keys,
      buckets,
      sessionTtlSeconds: deps.config.embed.sessionTtlSeconds,
      newVisitorsPerIp: deps.config.rateLimit.embedVisitorsPerIp,
      windowSeconds: deps.config.rateLimit.windowSeconds,
      embedUnavailable: () => embedUnavailableOn(deps.sandboxDriver(), deps.config),
    }),
    embedQuotas: deps.core.embedQuotas,
  };
}
