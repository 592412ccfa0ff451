/** Labels every MetisAI container carries; `list` and `reap` filter on them. */
export const SANDBOX_LABELS = {
  /** Present (value `true`) on every sandbox container. */
  managed: 'metisai.managed',
  /** The server (instance) that owns the sandbox. */
  owner: 'metisai.owner',
  conversation: 'metisai.conversation',
  workdir: 'metisai.workdir',
  /** `1000:1000`, or `0:0` when the sandbox opted into root. */
  user: 'metisai.user',
  /** On the short-lived containers that run a command on the host (`host-helper.ts`). */
  helper: 'metisai.helper',
  /** On the networks sandboxes are attached to (`sandbox-network.ts`). */
  network: 'metisai.network',
} as const;
