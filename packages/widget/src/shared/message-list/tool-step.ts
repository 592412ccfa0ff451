import { html, nothing, type TemplateResult } from 'lit';
import type { ToolItem } from '../chat/transcript.ts';
import type { Catalog } from '../i18n/messages.ts';
import type { ItemContext } from './item-context.ts';

/** Escape sequences of terminal output (colours, cursor moves, titles): the text is shown plain. */
const ANSI = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)|[@-Z\\-_])/g;

/** Terminal output without its escape sequences (and carriage returns that only redraw a line). */
export const plainOutput = (text: string): string => text.replace(ANSI, '').replace(/\r+\n/g, '\n');

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Seconds between two ISO timestamps, one decimal (`0.4`); undefined when either is missing. */
export function durationSeconds(from: string | undefined, to: string | undefined): string | undefined {
  if (!from || !to) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? (ms / 1000).toFixed(1) : undefined;
}

/** The kind of a step (Command, Edit…) and its title, in the catalog's language. */
export function toolLabel(item: ToolItem, catalog: Catalog): { kind: string; title: string } {
  const args = item.args;
  switch (item.tool) {
    case 'execute_bash':
      return { kind: catalog.command, title: str(args.command) ?? '' };
    case 'str_replace_editor':
      return { kind: catalog.edit, title: `${str(args.command) ?? ''} ${str(args.path) ?? ''}`.trim() };
    case 'think':
      return { kind: catalog.thought, title: '' };
    case 'finish':
      return { kind: catalog.finish, title: '' };
    default:
      return { kind: item.tool || catalog.tool, title: '' };
  }
}

/**
 * One tool step (a collapsible `details`): its kind and title (the command, the edited path), its state (running, the
 * exit code and duration), and its body — a command's live output then stored output, an edit's diff, a thought.
 * The same view in `<metis-chat>` and the console.
 */
export function renderToolStep(item: ToolItem, context: ItemContext): TemplateResult {
  const { catalog } = context;
  const observation = item.observation;
  const isWaiting = !observation && context.runState === 'awaiting_confirmation';
  const isRunning = !observation && !isWaiting;
  const { kind, title } = toolLabel(item, catalog);
  const seconds = durationSeconds(item.startedAt, observation?.created_at);
  const exitCode = observation?.exit_code;
  const meta = isWaiting
    ? catalog.waitingApproval
    : isRunning
      ? catalog.running
      : [typeof exitCode === 'number' ? catalog.exitCode(exitCode) : undefined, seconds === undefined ? undefined : catalog.seconds(seconds)]
          .filter(Boolean)
          .join(' · ');
  const failed = typeof exitCode === 'number' && exitCode !== 0;
  return html`<details
    class="tool ${isRunning ? 'running' : ''} ${isWaiting ? 'waiting' : ''} ${failed ? 'failed' : ''}"
    part="tool-step"
    data-seq=${item.seq}
    data-tool=${item.tool}
    data-tool-call-id=${item.toolCallId}
    ?open=${isRunning && item.tool === 'execute_bash'}
  >
    <summary>
      <span class="tool-kind">${kind}</span>
      ${title ? html`<code class="tool-title">${title}</code>` : nothing}
      <span class="tool-meta" data-exit-code=${exitCode ?? ''}>${meta}</span>
    </summary>
    <div class="tool-body">${toolBody(item, context)}</div>
  </details>`;
}

function toolBody(item: ToolItem, context: ItemContext): unknown {
  const { catalog } = context;
  const observation = item.observation;
  const args = item.args;
  switch (item.tool) {
    case 'execute_bash': {
      const output = observation ? observation.content : item.liveOutput;
      return html`<pre class="terminal" part="tool-output" tabindex="0">${plainOutput(output) || (observation ? catalog.noOutput : '')}</pre>`;
    }
    case 'str_replace_editor': {
      const diff = str((observation as { diff?: unknown } | undefined)?.diff);
      if (diff) return renderDiff(diff);
      return html`${renderEditArgs(args)}${observation ? html`<pre class="terminal" part="tool-output" tabindex="0">${observation.content}</pre>` : nothing}`;
    }
    case 'think':
      return html`<p class="thought">${str(args.thought) ?? ''}</p>`;
    case 'finish':
      return html`<p class="thought">${str(args.message) ?? observation?.content ?? ''}</p>`;
    default:
      return html`<pre class="terminal" tabindex="0">${JSON.stringify(args, null, 2)}</pre>${
        observation ? html`<pre class="terminal" part="tool-output" tabindex="0">${observation.content}</pre>` : nothing
      }`;
  }
}

/** A unified diff, line by line: additions, deletions, hunk headers and context told apart by class. */
export function renderDiff(diff: string): TemplateResult {
  const lines = diff.replace(/\n$/, '').split('\n');
  const kind = (line: string) => {
    if (line.startsWith('+++') || line.startsWith('---') || line.startsWith('diff ') || line.startsWith('index ')) return 'meta';
    if (line.startsWith('@@')) return 'hunk';
    if (line.startsWith('+')) return 'add';
    if (line.startsWith('-')) return 'del';
    return 'ctx';
  };
  return html`<pre class="diff" part="diff" tabindex="0">${lines.map((line) => html`<span class=${kind(line)}>${line}\n</span>`)}</pre>`;
}

/** An edit without the server's diff: what the call asked for (`old_str` → `new_str`, a new file, an insertion). */
function renderEditArgs(args: Record<string, unknown>): TemplateResult | typeof nothing {
  const lines: string[] = [];
  const add = (prefix: string, text: string | undefined) => {
    if (text !== undefined) for (const line of text.replace(/\n$/, '').split('\n')) lines.push(`${prefix}${line}`);
  };
  switch (str(args.command)) {
    case 'create':
      add('+', str(args.file_text));
      break;
    case 'str_replace':
      add('-', str(args.old_str));
      add('+', str(args.new_str));
      break;
    case 'insert':
      lines.push(`@@ ${String(args.insert_line ?? '')}`);
      add('+', str(args.new_str));
      break;
    default:
      return nothing;
  }
  return renderDiff(lines.join('\n'));
}
