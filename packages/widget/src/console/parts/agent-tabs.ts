import { html, type TemplateResult } from 'lit';
import type { ConsoleCatalog } from '../i18n/console-messages.ts';

/** The tabs of an agent's pages: its configuration (`/agents/:id`) and its embedding (`/agents/:id/embed`). */
export function renderAgentTabs(text: ConsoleCatalog, agentId: string, current: 'config' | 'embed'): TemplateResult {
  const tab = (id: 'config' | 'embed', href: string, label: string) =>
    html`<li><a href=${href} data-tab=${id} aria-current=${current === id ? 'page' : 'false'}>${label}</a></li>`;
  return html`<nav aria-label=${text.embed.agentTabs}>
    <ul class="tabs">
      ${tab('config', `/agents/${agentId}`, text.embed.configTab)} ${tab('embed', `/agents/${agentId}/embed`, text.embed.embedTab)}
    </ul>
  </nav>`;
}
