import { html, type TemplateResult } from 'lit';
import type { ConsoleCatalog } from '../i18n/console-messages.ts';
import type { FormErrors } from './form-errors.ts';

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

/** An agent's page before its agent is loaded: `heading`, then the load's error (when it failed) or "Loading…". */
export function renderAgentPageLoading(text: ConsoleCatalog, heading: string, loadError: FormErrors | undefined): TemplateResult {
  return html`<div class="root">
    <div class="page"><h1>${heading}</h1>${loadError ? loadError.alert() : html`<p>${text.loading}</p>`}</div>
  </div>`;
}
