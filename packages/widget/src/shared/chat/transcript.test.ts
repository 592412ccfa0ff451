import { describe, expect, test } from 'vitest';
import { Transcript, type StoredEvent } from './transcript.ts';

const conversation_id = '01900000-0000-7000-8000-000000000000';
let ids = 0;
const id = () => `01900000-0000-7000-8000-${String(++ids).padStart(12, '0')}`;
const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds)).toISOString();

const user = (seq: number, content: string): StoredEvent =>
  ({ type: 'message', seq, id: id(), conversation_id, created_at: at(seq), role: 'user', content }) as StoredEvent;
const assistant = (seq: number, messageId: string, content: string, extra: object = {}): StoredEvent =>
  ({ type: 'message', seq, id: messageId, conversation_id, created_at: at(seq), role: 'assistant', content, ...extra }) as StoredEvent;
const state = (seq: number, value: string, reason: string | null = null): StoredEvent =>
  ({ type: 'state', seq, id: id(), conversation_id, created_at: at(seq), state: value, reason }) as StoredEvent;
const action = (seq: number, toolCallId: string, args: object): StoredEvent =>
  ({ type: 'action', seq, id: id(), conversation_id, created_at: at(seq), tool_call_id: toolCallId, tool: 'execute_bash', args }) as StoredEvent;
const observation = (seq: number, toolCallId: string, content: string): StoredEvent =>
  ({ type: 'observation', seq, id: id(), conversation_id, created_at: at(seq), tool_call_id: toolCallId, content, exit_code: 0 }) as StoredEvent;
const delta = (messageId: string, content: string) => ({ type: 'delta', conversation_id, message_id: messageId, content });

const view = (transcript: Transcript) =>
  transcript.items.map((item) => {
    switch (item.kind) {
      case 'user':
        return `user:${item.content}${item.isPending ? ' (pending)' : ''}`;
      case 'assistant':
        return `assistant:${item.content}${item.isStreaming ? ' …' : ''}`;
      case 'tool':
        return `tool:${item.observation ? item.observation.content : `${item.liveOutput} (running)`}`;
      case 'error':
        return `error:${item.code}`;
      case 'workspace':
        return `workspace:${item.phase}@${item.seq}`;
      case 'unknown':
        return `unknown:${item.type}`;
    }
  });
const workspace = (seq: number, phase: string, extra: object = {}): StoredEvent =>
  ({ type: 'workspace', seq, id: id(), conversation_id, created_at: at(seq), phase, ...extra }) as StoredEvent;

/** A transcript on a live connection. */
const live = () => {
  const transcript = new Transcript();
  transcript.beginConnection();
  transcript.setLiveBoundary(0);
  return transcript;
};

describe('Transcript', () => {
  test("a clone's progress, then its end, is one item that keeps its place; other workspace events are items of their own", () => {
    const transcript = live();
    transcript.applyStored(workspace(1, 'cloning', { received_objects: 0 }));
    transcript.applyStored(state(2, 'running', 'waiting_for_workspace'));
    transcript.applyStored(user(3, 'hi'));
    const first = transcript.items[0];
    transcript.applyStored(workspace(4, 'cloning', { received_objects: 12 }));
    expect(view(transcript)).toEqual(['workspace:cloning@4', 'user:hi']);
    expect(transcript.items[0]).not.toBe(first);
    expect(transcript.items[0]?.key).toBe(first?.key);
    transcript.applyStored(workspace(5, 'failed', { message: 'not found' }));
    transcript.applyStored(workspace(6, 'uploaded', { files: [] }));
    expect(view(transcript)).toEqual(['workspace:failed@5', 'user:hi', 'workspace:uploaded@6']);
  });

  test('deltas stream a message in place; the stored message replaces them; a duplicate stored event is ignored', () => {
    const transcript = live();
    const messageId = id();
    transcript.applyStored(user(1, 'hi'));
    transcript.applyStored(state(2, 'running'));
    transcript.applyEphemeral(delta(messageId, 'Hel'));
    const streaming = transcript.items[1];
    transcript.applyEphemeral(delta(messageId, 'lo'));
    expect(view(transcript)).toEqual(['user:hi', 'assistant:Hello …']);
    expect(transcript.items[1]).not.toBe(streaming); // a new object: views re-render only what changed
    expect(transcript.items[0]).toBe(transcript.items[0]);
    transcript.applyStored(assistant(3, messageId, 'Hello!'));
    transcript.applyStored(state(4, 'idle', 'awaiting_user'));
    expect(transcript.applyStored(assistant(3, messageId, 'Hello!'))).toBe(false);
    transcript.applyEphemeral(delta(messageId, ' late'));
    expect(view(transcript)).toEqual(['user:hi', 'assistant:Hello!']);
    expect(transcript.items[1]?.key).toBe(`stream:${messageId}`); // same key: the element is kept
    expect(transcript.state).toBe('idle');
  });

  test('the deltas of a retried attempt are dropped when its failure is stored', () => {
    const transcript = live();
    const [first, second] = [id(), id()];
    transcript.applyStored(user(1, 'hi'));
    transcript.applyEphemeral(delta(first, 'Attempt one'));
    transcript.applyStored({ type: 'error', seq: 2, id: id(), conversation_id, code: 'llm_retry', message: 'retrying' } as StoredEvent);
    transcript.applyEphemeral(delta(second, 'Attempt two'));
    transcript.applyStored(assistant(3, second, 'Attempt two'));
    expect(view(transcript)).toEqual(['user:hi', 'error:llm_retry', 'assistant:Attempt two']);
  });

  test("retries show as one line, the latest, and the run's error replaces them", () => {
    const transcript = live();
    const retry = (seq: number, n: number) =>
      ({ type: 'error', seq, id: id(), conversation_id, code: 'llm_retry', message: `Connection error; retry ${n} of 3` }) as StoredEvent;
    transcript.applyStored(user(1, 'hi'));
    transcript.applyStored(retry(2, 1));
    transcript.applyStored(retry(3, 2));
    expect(transcript.items.map((item) => (item.kind === 'error' ? item.message : item.kind))).toEqual(['user', 'Connection error; retry 2 of 3']);
    transcript.applyStored(retry(4, 3));
    transcript.applyStored({
      type: 'error',
      seq: 5,
      id: id(),
      conversation_id,
      code: 'llm_unreachable',
      message: 'Connection error (after 3 retries)',
    } as StoredEvent);
    expect(view(transcript)).toEqual(['user:hi', 'error:llm_unreachable']);
    // A retry that succeeded stays (the answer follows it); the next run's retries are lines of their own.
    transcript.applyStored(user(6, 'again'));
    transcript.applyStored(retry(7, 1));
    transcript.applyStored(assistant(8, id(), 'Hello'));
    transcript.applyStored(retry(9, 1));
    expect(view(transcript)).toEqual(['user:hi', 'error:llm_unreachable', 'user:again', 'error:llm_retry', 'assistant:Hello', 'error:llm_retry']);
  });

  test('live output grows a tool step until its observation replaces it', () => {
    const transcript = live();
    transcript.applyStored(user(1, 'count'));
    transcript.applyStored(action(2, 'call1', { command: 'seq 3' }));
    transcript.applyEphemeral({ type: 'output', conversation_id, tool_call_id: 'call1', content: '1\n' });
    transcript.applyEphemeral({ type: 'output', conversation_id, tool_call_id: 'call1', content: '2\n' });
    expect(view(transcript)).toEqual(['user:count', 'tool:1\n2\n (running)']);
    expect(transcript.activeItem?.kind).toBe('tool');
    transcript.applyStored(observation(3, 'call1', '1\n2\n3'));
    transcript.applyEphemeral({ type: 'output', conversation_id, tool_call_id: 'call1', content: 'late' });
    expect(view(transcript)).toEqual(['user:count', 'tool:1\n2\n3']);
  });

  test('after a reconnect, a message already streaming is not shown from its middle: it appears when stored', () => {
    const transcript = new Transcript();
    transcript.applyStoredPage([user(1, 'hi'), state(2, 'running')]);
    transcript.beginConnection();
    const inFlight = id();
    transcript.applyEphemeral(delta(inFlight, 'middle of it'));
    transcript.setLiveBoundary(2);
    transcript.applyEphemeral(delta(inFlight, ' and more'));
    expect(view(transcript)).toEqual(['user:hi']);
    transcript.applyStored(assistant(3, inFlight, 'The whole answer, middle of it and more'));
    expect(view(transcript)).toEqual(['user:hi', 'assistant:The whole answer, middle of it and more']);
    // A stored event past the boundary arrived live: the next message streams from its start.
    const next = id();
    transcript.applyEphemeral(delta(next, 'Next'));
    expect(view(transcript).at(-1)).toBe('assistant:Next …');
  });

  test('a message that was streaming when the connection dropped stops growing until stored; a catch-up resumes it', () => {
    const transcript = live();
    const messageId = id();
    transcript.applyStored(user(1, 'hi'));
    transcript.applyEphemeral(delta(messageId, 'Part one'));
    transcript.beginConnection();
    transcript.setLiveBoundary(1);
    transcript.applyEphemeral(delta(messageId, ' part three'));
    expect(view(transcript)).toEqual(['user:hi', 'assistant:Part one …']);
    transcript.resumeMessage(messageId, 'Part one part two');
    transcript.applyEphemeral(delta(messageId, ' part three'));
    expect(view(transcript)).toEqual(['user:hi', 'assistant:Part one part two part three …']);
  });

  test('a pending message is replaced by its stored copy; older pages are prepended in order', () => {
    const transcript = live();
    transcript.applyStoredPage([user(5, 'five'), assistant(6, id(), 'six')]);
    const key = transcript.addPendingUser('seven');
    expect(view(transcript).at(-1)).toBe('user:seven (pending)');
    transcript.applyStored(user(7, 'seven'));
    expect(view(transcript)).toEqual(['user:five', 'assistant:six', 'user:seven']);
    transcript.settleUser(key);
    transcript.prepend([user(1, 'one'), assistant(2, id(), 'two'), user(5, 'five (again)')]);
    expect(view(transcript)).toEqual(['user:one', 'assistant:two', 'user:five', 'assistant:six', 'user:seven']);
    expect(transcript.firstSeq).toBe(1);
    expect(transcript.lastSeq).toBe(7);
    expect(transcript.lastUserMessage).toBe('seven');
  });

  test('a stored event of a type this widget does not know is kept, in order', () => {
    const transcript = live();
    transcript.applyStored(user(1, 'hi'));
    transcript.applyStored({ type: 'checkpoint', seq: 2, id: id(), conversation_id, label: 'v2' } as StoredEvent);
    transcript.applyEphemeral({ type: 'progress', percent: 50 });
    expect(view(transcript)).toEqual(['user:hi', 'unknown:checkpoint']);
  });

  test('a stream opened mid-answer takes the message up from its catch-up; overlapping pieces are trimmed, a missed one stops it', () => {
    const transcript = new Transcript();
    const messageId = id();
    transcript.applyStoredPage([user(1, 'hi'), state(2, 'running')]);
    transcript.beginConnection();
    // Before the boundary is known, a piece of a message begun earlier is not shown…
    transcript.applyEphemeral({ ...delta(messageId, 'lo'), offset: 3 });
    expect(view(transcript)).toEqual(['user:hi']);
    // …until its catch-up gives the text so far; the next pieces continue at their offsets, once each.
    transcript.applyEphemeral({ type: 'catch_up', conversation_id, message_id: messageId, content: 'Hello' });
    transcript.setLiveBoundary(2);
    transcript.applyEphemeral({ ...delta(messageId, 'lo, wor'), offset: 3 });
    transcript.applyEphemeral({ ...delta(messageId, 'ld'), offset: 10 });
    expect(view(transcript)).toEqual(['user:hi', 'assistant:Hello, world …']);
    transcript.applyEphemeral({ ...delta(messageId, '!!'), offset: 20 });
    transcript.applyEphemeral({ ...delta(messageId, 'more'), offset: 22 });
    expect(view(transcript)).toEqual(['user:hi', 'assistant:Hello, world …']);
    transcript.applyStored(assistant(3, messageId, 'Hello, world and the rest'));
    expect(view(transcript)).toEqual(['user:hi', 'assistant:Hello, world and the rest']);
    // A catch-up of a message already stored changes nothing.
    expect(transcript.applyEphemeral({ type: 'catch_up', conversation_id, message_id: messageId, content: 'Hello' })).toBe(false);
  });

  test('a running command’s catch-up replaces its live output (a dropped start is marked)', () => {
    const transcript = live();
    transcript.applyStoredPage([user(1, 'count'), state(2, 'running'), action(3, 'call_1', { command: 'seq 1 200' })]);
    transcript.applyEphemeral({ type: 'output', conversation_id, tool_call_id: 'call_1', content: '1\n' });
    transcript.beginConnection();
    transcript.applyEphemeral({ type: 'catch_up', conversation_id, tool_call_id: 'call_1', content: '1\n2\n3\n', offset: 0 });
    expect(view(transcript)).toEqual(['user:count', 'tool:1\n2\n3\n (running)']);
    transcript.applyEphemeral({ type: 'catch_up', conversation_id, tool_call_id: 'call_1', content: '3\n', offset: 4 });
    expect(view(transcript)).toEqual(['user:count', 'tool:…\n3\n (running)']);
    transcript.applyStored(observation(4, 'call_1', '1\n2\n3\n'));
    expect(transcript.applyEphemeral({ type: 'catch_up', conversation_id, tool_call_id: 'call_1', content: 'x' })).toBe(false);
    expect(view(transcript)).toEqual(['user:count', 'tool:1\n2\n3\n']);
  });
});

describe('attachments', () => {
  const file = { path: 'uploads/report.pdf', size: 2048, type: 'application/pdf' };
  const workspace = (seq: number, phase: string, extra: object = {}): StoredEvent =>
    ({ type: 'workspace', seq, id: id(), conversation_id, created_at: at(seq), phase, ...extra }) as StoredEvent;

  test('a user message keeps its files (the uploads are workspace items of their own)', () => {
    const transcript = new Transcript();
    const pending = transcript.addPendingUser('read it', [file]);
    expect(transcript.items[0]).toMatchObject({ kind: 'user', isPending: true, attachments: [file] });
    transcript.applyStoredPage([
      workspace(1, 'uploaded', { files: [file] }),
      { ...user(2, 'read it'), attachments: [file] } as StoredEvent,
      workspace(3, 'instructions', { instructions: [] }),
    ]);
    transcript.settleUser(pending);
    expect(transcript.items.map((item) => item.kind)).toEqual(['workspace', 'user', 'workspace']);
    expect(transcript.items[1]).toMatchObject({ seq: 2, attachments: [file] });
    expect(transcript.lastSeq).toBe(3);
    // Retry sends the text and its files again.
    expect(transcript.lastUserItem).toMatchObject({ content: 'read it', attachments: [file] });
    transcript.applyStored(user(4, 'no files'));
    expect(transcript.lastUserItem?.attachments).toEqual([]);
  });
});
