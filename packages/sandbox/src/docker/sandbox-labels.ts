/** Labels every MetisAI container (and workspace volume) carries; `list` and `reap` filter on them. */
export const SANDBOX_LABELS = {
  /** Present (value `true`) on every sandbox container. */
  managed: 'metisai.managed',
  /** The server (instance) that owns the sandbox. */
  owner: 'metisai.owner',
  conversation: 'metisai.conversation',
  workdir: 'metisai.workdir',
  /** `1000:1000`, or `0:0` when the sandbox opted into root. */
  user: 'metisai.user',
  /** The workspace (volume `metisai-ws-<workspace>`) mounted at the workdir; on the volume too. */
  workspace: 'metisai.workspace',
  /** On the short-lived containers that run a command on the host (`host-helper.ts`). */
  helper: 'metisai.helper',
  /** On the networks sandboxes are attached to (`sandbox-network.ts`). */
  network: 'metisai.network',
} as const;

/** Rule for workspace names (they become part of a volume name). */
export const WORKSPACE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,99}$/;

/** The Docker volume that holds a workspace. */
export const workspaceVolume = (workspace: string) => `metisai-ws-${workspace}`;
