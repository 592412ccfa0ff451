import { setTimeout as sleep } from 'node:timers/promises';
import type { EntityManager } from '@mikro-orm/postgresql';
import { type Conversation as ConversationJson, ErrorCode } from '@metisai/sdk/schemas';
import { FILE_CHANGING_TOOLS } from '../agent/run-options.ts';
import { ConversationEntity, type Event } from '../entities/index.ts';
import { ConflictError, validationError } from '../errors.ts';
import { uuid7 } from '../security/uuid7.ts';
import { type ConversationService, toConversationJson } from './conversations.ts';
import { snapshotUnavailable, type WorkspaceSnapshots } from './workspace-snapshots.ts';

/** Events copied per insert. */
const EVENT_BATCH = 500;
/** Longest wait for the snapshot of a running conversation's last step (it is taken while the next LLM call runs). */
const SNAPSHOT_WAIT_MS = 10_000;

/** `workspace` events after which a snapshot is taken (`ConversationSandboxes.recordStep`): the clone copied in, an upload. */
const SNAPSHOT_PHASES = new Set(['ready', 'uploaded']);

/** Where a fork is cut: the last completed step at or before the asked `seq`, and the last snapshotted step up to it. */
export interface ForkPoint {
  /** The `seq` the fork's events end at: no action up to it lacks its observation up to it. */
  seq: number;
  /**
   * The last step at or before `seq` after which a snapshot is taken: an observation of a file-changing tool
   * (`FILE_CHANGING_TOOLS`), or a `workspace` event of the clone or an upload; 0 when none.
   */
  lastSnapshotStep: number;
}

/**
 * The fork point for `atSeq` in a log (events in `seq` order, at least those up to `atSeq`): the last `seq` ≤ `atSeq`
 * at which every action has its observation (an `atSeq` inside a step snaps back to the step before it).
 */
export function forkPoint(events: ReadonlyArray<Pick<Event, 'seq' | 'type' | 'payload'>>, atSeq: number): ForkPoint {
  const open = new Map<string, string>();
  const toolOf = new Map<string, string>();
  let seq = 0;
  let lastSnapshotStep = 0;
  let candidateSnapshotStep = 0;
  for (const event of events) {
    if (event.seq > atSeq) break;
    const callId = typeof event.payload.tool_call_id === 'string' ? event.payload.tool_call_id : null;
    if (event.type === 'action' && callId) {
      const tool = String(event.payload.tool);
      open.set(callId, tool);
      toolOf.set(callId, tool);
    } else if (event.type === 'observation' && callId) {
      open.delete(callId);
      if (FILE_CHANGING_TOOLS.has(toolOf.get(callId) ?? '')) candidateSnapshotStep = event.seq;
    } else if (event.type === 'workspace' && SNAPSHOT_PHASES.has(String(event.payload.phase))) {
      candidateSnapshotStep = event.seq;
    }
    if (open.size === 0) {
      seq = event.seq;
      lastSnapshotStep = candidateSnapshotStep;
    }
  }
  return { seq, lastSnapshotStep };
}

/**
 * Forks conversations (`POST /conversations/{id}/fork`): a new conversation of the same user and agent with copies of
 * the events up to the fork point (new ids, same `seq`s), the snapshots up to it (rows copied, blobs shared) and the
 * original's baseline; its workspace is restored from the snapshot at the fork point when its first sandbox comes up
 * (`restore_seq`, see `ConversationSandboxes`). Nothing of the original is changed, nor its run disturbed.
 */
export class ConversationForkService {
  readonly #conversations: ConversationService;
  readonly #snapshots: WorkspaceSnapshots;

  constructor(conversations: ConversationService, snapshots: WorkspaceSnapshots) {
    this.#conversations = conversations;
    this.#snapshots = snapshots;
  }

  /**
   * Forks the caller's conversation `id` at `atSeq` (default: its last completed step). Throws `NotFoundError`,
   * `InvalidRequestError` (`validation_error` naming `at_seq`) beyond `last_seq`, `ConflictError`
   * `snapshot_unavailable` when the workspace at the fork point is not kept (pruned, or its snapshot failed), and
   * `ConflictError` `conversation_busy` when a running conversation's snapshot of that step is not stored within 10 s
   * (a conversation that is not running and lacks it: `snapshot_unavailable`).
   */
  async fork(em: EntityManager, userId: string, id: string, atSeq: number | undefined): Promise<ConversationJson> {
    const original = await this.#conversations.getOwned(em, userId, id);
    if (atSeq !== undefined && atSeq > original.lastSeq) {
      throw validationError(`at_seq ${atSeq} is beyond the conversation's last event (seq ${original.lastSeq})`, [
        { path: 'at_seq', message: `must be at most ${original.lastSeq} (the conversation's last_seq)` },
      ]);
    }
    const wanted = atSeq ?? original.lastSeq;
    // Only what the fork point is decided by: the events themselves are copied inside the database below.
    const rows = await em.execute<{ seq: number; type: Event['type']; tool_call_id: string | null; tool: string | null; phase: string | null }[]>(
      `select seq, type, payload->>'tool_call_id' as tool_call_id, payload->>'tool' as tool, payload->>'phase' as phase
       from events where conversation_id = ? and seq <= ? order by seq`,
      [id, wanted],
    );
    const point = forkPoint(
      rows.map(({ seq, type, tool_call_id, tool, phase }) => ({ seq, type, payload: { tool_call_id, tool, phase } })),
      wanted,
    );
    const state = await this.#snapshotState(em, id, point);
    if (point.seq < state.prunedBefore) {
      throw snapshotUnavailable('at_seq', `The workspace snapshots of this conversation before seq ${state.prunedBefore} were pruned`);
    }
    if ((await this.#snapshots.isRecordedAt(em, id, point.seq)) === false)
      throw snapshotUnavailable('at_seq', `The workspace at seq ${point.seq} could not be recorded`);
    const forkId = uuid7();
    await em.transactional(async (tx) => {
      tx.create(ConversationEntity, {
        id: forkId,
        userId,
        agentId: original.agentId ?? null,
        title: original.title ?? null,
        forkedFromId: id,
        forkedFromSeq: point.seq,
        // The repository is shown as it was cloned; a clone still going on is not the fork's (its files come from the snapshot).
        repository: original.repository?.status === 'ready' ? original.repository : null,
        state: 'idle',
        lastSeq: point.seq,
        promptTokens: 0,
        completionTokens: 0,
        llmCalls: 0,
      });
      await tx.flush();
      // New ids (uuid7, ours), same seq, type, payload and time; payloads never leave the database.
      const seqs = rows.filter((row) => row.seq <= point.seq).map((row) => row.seq);
      for (let start = 0; start < seqs.length; start += EVENT_BATCH) {
        const batch = seqs.slice(start, start + EVENT_BATCH);
        await tx.execute(
          `insert into events (id, conversation_id, seq, type, payload, created_at)
           select copy.id, ?, e.seq, e.type, e.payload, e.created_at
           from events e join unnest(array[?]::uuid[], array[?]::int[]) as copy(id, seq) on copy.seq = e.seq
           where e.conversation_id = ?`,
          [forkId, batch.map(() => uuid7()), batch, id],
        );
      }
      await this.#snapshots.copy(tx, id, forkId, point.seq);
      await tx.execute(
        `update conversations set snapshot_seq = ?, restore_seq = ?, snapshots_pruned_before = ?,
           baseline_at = (select baseline_at from conversations where id = ?) where id = ?`,
        [point.seq, point.seq, state.prunedBefore, id, forkId],
      );
      await tx.execute(
        `insert into workspace_baseline_files (conversation_id, path, size_bytes, mtime_ms, is_binary, content)
         select ?, path, size_bytes, mtime_ms, is_binary, content from workspace_baseline_files where conversation_id = ?`,
        [forkId, id],
      );
    });
    return toConversationJson(await this.#conversations.getOwned(em.fork(), userId, forkId));
  }

  /**
   * Prunes the caller's conversation's workspace snapshots before `beforeSeq` (see `WorkspaceSnapshots.prune`): forks
   * at a step before it are refused from then on. Answers the bytes freed.
   */
  async prune(em: EntityManager, userId: string, id: string, beforeSeq: number): Promise<number> {
    const conversation = await this.#conversations.getOwned(em, userId, id);
    return this.#snapshots.prune(em.fork(), { id: conversation.id, userId }, beforeSeq);
  }

  /**
   * The original's snapshot watermark and pruning point, once the snapshot of the fork point's last file-changing step
   * is settled: a running conversation takes it while its next LLM call runs, so it is waited for (up to 10 s).
   */
  async #snapshotState(em: EntityManager, id: string, point: ForkPoint): Promise<{ prunedBefore: number }> {
    const deadline = Date.now() + SNAPSHOT_WAIT_MS;
    for (;;) {
      const [row] = await em
        .fork()
        .execute<{ snapshot_seq: number; snapshots_pruned_before: number; state: string }[]>(
          'select snapshot_seq, snapshots_pruned_before, state from conversations where id = ?',
          [id],
        );
      if (!row) throw new ConflictError(ErrorCode.conversationBusy, 'The conversation is being deleted');
      if (row.snapshot_seq >= point.lastSnapshotStep) return { prunedBefore: row.snapshots_pruned_before };
      if (row.state !== 'running') {
        // A run that ended has stored every snapshot it took (a step it skipped took none). No snapshot at all: the
        // steps are from before this server kept snapshots (or their process died before the first one was stored).
        if (row.snapshot_seq === 0) throw snapshotUnavailable('at_seq', `The workspace at seq ${point.lastSnapshotStep} was not recorded`);
        return { prunedBefore: row.snapshots_pruned_before };
      }
      if (Date.now() > deadline) {
        throw new ConflictError(ErrorCode.conversationBusy, `The workspace snapshot of seq ${point.lastSnapshotStep} is not stored yet; retry shortly`, {
          retryAfterSeconds: 1,
        });
      }
      await sleep(25);
    }
  }
}
