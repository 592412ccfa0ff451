import type { TemplateResult } from 'lit';
import type { WorkspaceItem } from '../chat/transcript.ts';
import type { Catalog } from '../i18n/messages.ts';
import type { MarkdownContext } from '../markdown/render-markdown.ts';

/** What rendering a transcript item needs from the element (`<metis-chat>`, the console's conversation view). */
export interface ItemContext {
  catalog: Catalog;
  markdown: MarkdownContext;
  /** The conversation's state: a step without observation waits for approval in `awaiting_confirmation`, else runs. */
  runState?: string;
  /** How a `workspace` event shows (the console's clone progress); absent: as an event of an unknown type. */
  renderWorkspace?: (item: WorkspaceItem) => TemplateResult;
  /** Whether a run error shows the server's own message under its translated sentence (the console: the agent's owner). */
  showErrorMessages?: boolean;
}
