import { InitialSchema } from './001-initial-schema.ts';
import { ConversationSandboxes } from './002-conversation-sandboxes.ts';
import { LlmCalls } from './003-llm-calls.ts';
import { LlmTimeouts } from './004-llm-timeouts.ts';
import { Tenancy } from './005-tenancy.ts';
import { AgentStartProgress } from './006-agent-start-progress.ts';
import { Workspaces } from './007-workspaces.ts';
import { Embedding } from './008-embedding.ts';
import { Repositories } from './009-repositories.ts';
import { Snapshots } from './010-snapshots.ts';

/** Every migration, in order. Listed here (not discovered from files) so sources and bundles behave alike. */
export const migrations = [
  { name: '001-initial-schema', class: InitialSchema },
  { name: '002-conversation-sandboxes', class: ConversationSandboxes },
  { name: '003-llm-calls', class: LlmCalls },
  { name: '004-llm-timeouts', class: LlmTimeouts },
  { name: '005-tenancy', class: Tenancy },
  { name: '006-agent-start-progress', class: AgentStartProgress },
  { name: '007-workspaces', class: Workspaces },
  { name: '008-embedding', class: Embedding },
  { name: '009-repositories', class: Repositories },
  { name: '010-snapshots', class: Snapshots },
];
