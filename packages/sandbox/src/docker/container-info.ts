import type { SandboxInfo, SandboxState } from '../sandbox.ts';
import { SANDBOX_LABELS } from './sandbox-labels.ts';

/** Where the agent works in every Docker sandbox. */
export const DOCKER_WORKDIR = '/workspace';

const SANDBOX_STATES: readonly string[] = ['created', 'running', 'paused', 'restarting', 'exited', 'dead', 'removing'];

/** Docker's container state as a `SandboxState` (anything unknown counts as `dead`). */
export const toState = (state: string | undefined): SandboxState => (SANDBOX_STATES.includes(state ?? '') ? (state as SandboxState) : 'dead');

/** `SandboxInfo` of a container, from its name, labels and state. */
export function infoFromLabels(id: string, labels: Record<string, string>, rest: { state: SandboxState; image: string | null; createdAt: Date }): SandboxInfo {
  return {
    id,
    driver: 'docker',
    state: rest.state,
    image: rest.image,
    owner: labels[SANDBOX_LABELS.owner] ?? null,
    conversationId: labels[SANDBOX_LABELS.conversation] ?? null,
    labels,
    createdAt: rest.createdAt,
    workdir: labels[SANDBOX_LABELS.workdir] ?? DOCKER_WORKDIR,
    workspace: labels[SANDBOX_LABELS.workspace] ?? null,
  };
}
