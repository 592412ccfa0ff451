import { css, html, nothing, svg, type TemplateResult } from 'lit';
import type { Agent, Approval, Conversation, Health, Settings, UsageList } from '@metisai/sdk';
import { ConsolePage } from '../app/console-page.ts';
import { conversationTitle } from '../parts/conversation-title.ts';
import { formatDateTime, formatNumber } from '../parts/format.ts';
import { consoleStyles } from '../styles/console.styles.ts';

interface DashboardData {
  settings?: Settings;
  agents?: Agent[];
  running?: Conversation[];
  approvals?: Approval[];
  recent?: Conversation[];
  usage?: UsageList;
  health?: Health | 'down';
}

const CHART_WIDTH = 560;
const CHART_HEIGHT = 124;

/**
 * `/`: agents with their status, running conversations, actions waiting for approval, recent conversations, tokens
 * per day over the last 14 days (an SVG bar chart), the server's health; a first-run checklist until an LLM is set, an
 * agent exists, runs, and has a conversation. Seven requests, in parallel.
 */
export class DashboardPage extends ConsolePage {
  static override styles = [
    ...consoleStyles,
    css`
      /* The grid under it is not a card: the cards' own gap (.card + .card) leaves it none. */
      .checklist {
        margin-bottom: 16px;
      }
      .checklist ol {
        margin: 0;
        padding-left: 22px;
      }
      .checklist li {
        padding: 3px 0;
      }
      .checklist li[data-done='true'] {
        color: var(--_muted);
        text-decoration: line-through;
      }
      svg.chart {
        display: block;
        width: 100%;
        height: auto;
      }
      .bar {
        fill: var(--_accent);
      }
      .axis-labels {
        display: flex;
        justify-content: space-between;
        margin: 2px 0 6px;
      }
      .baseline {
        stroke: var(--_border);
      }
    `,
  ];

  static override properties = { ...ConsolePage.properties, data: { state: true } };
  declare data: DashboardData | undefined;

  get pageTitle(): string {
    return this.app.text.titles.dashboard;
  }

  protected override async load(): Promise<void> {
    const client = this.app.client;
    const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const [settings, agents, running, approvals, recent, usage, health] = await Promise.allSettled([
      client.settings.get(),
      client.agents.list({ limit: 100 }),
      client.conversations.list({ state: 'running', limit: 10 }),
      client.approvals.list({ limit: 10 }),
      client.conversations.list({ limit: 6 }),
      client.usage.list({ days: 14, tz: timeZone }),
      fetch('/readyz', { headers: { accept: 'application/json' } }).then(async (response) =>
        response.ok ? ((await response.json()) as Health) : ('down' as const),
      ),
    ]);
    const value = <T>(result: PromiseSettledResult<T>) => (result.status === 'fulfilled' ? result.value : undefined);
    this.data = {
      settings: value(settings),
      agents: value(agents)?.data,
      running: value(running)?.data,
      approvals: value(approvals)?.data,
      recent: value(recent)?.data,
      usage: value(usage),
      health: value(health) ?? 'down',
    };
  }

  override render(): TemplateResult {
    const text = this.app.text;
    const data = this.data;
    return html`<div class="root">
      <div class="page">
        <h1>${text.titles.dashboard}</h1>
        ${data ? this.#renderContent(data) : html`<p>${text.loading}</p>`}
      </div>
    </div>`;
  }

  #renderContent(data: DashboardData): TemplateResult {
    const text = this.app.text;
    const language = this.app.language;
    const agentName = (id: string | null) => data.agents?.find((agent) => agent.id === id)?.name ?? text.noAgent;
    const conversationItem = (conversation: Conversation) =>
      html`<li>
        <a class="grow" href=${`/conversations/${conversation.id}`}>${conversationTitle(conversation, text)}</a>
        <span class="hint">${agentName(conversation.agent_id)}</span>
        <span class="badge" data-state=${conversation.state}>${text.states[conversation.state] ?? conversation.state}</span>
      </li>`;
    return html`${this.#renderChecklist(data)}
      <div class="grid">
        <section class="card" aria-labelledby="agents-heading">
          <h2 id="agents-heading">${text.agentsCard}</h2>
          ${
            data.agents?.length
              ? html`<ul class="list">
                ${data.agents.slice(0, 8).map(
                  (agent) =>
                    html`<li>
                      <a class="grow" href=${`/agents/${agent.id}`}>${agent.name}</a>
                      <span class="badge" data-status=${agent.status}>${text.statuses[agent.status] ?? agent.status}</span>
                    </li>`,
                )}
              </ul>`
              : html`<p class="empty">${text.noAgents}</p>`
          }
          <p><a href="/agents">${text.viewAll}</a></p>
        </section>
        <section class="card" aria-labelledby="running-heading">
          <h2 id="running-heading">${text.runningCard}</h2>
          ${data.running?.length ? html`<ul class="list">${data.running.map(conversationItem)}</ul>` : html`<p class="empty">${text.noRunning}</p>`}
        </section>
        <section class="card" aria-labelledby="approvals-heading">
          <h2 id="approvals-heading">${text.approvalsCard}</h2>
          ${
            data.approvals?.length
              ? html`<ul class="list">
                ${data.approvals.map(
                  (approval) =>
                    html`<li>
                      <a class="grow" href=${`/conversations/${approval.conversation.id}`}>${approval.conversation.title || text.untitled}</a>
                      <code>${String(approval.action.args.command ?? approval.action.tool)}</code>
                    </li>`,
                )}
              </ul>`
              : html`<p class="empty">${text.noApprovals}</p>`
          }
          <p><a href="/approvals">${text.viewAll}</a></p>
        </section>
        <section class="card" aria-labelledby="recent-heading">
          <h2 id="recent-heading">${text.recentCard}</h2>
          ${data.recent?.length ? html`<ul class="list">${data.recent.map(conversationItem)}</ul>` : html`<p class="empty">${text.noConversations}</p>`}
          <p><a href="/conversations">${text.viewAll}</a></p>
        </section>
        <section class="card" aria-labelledby="usage-heading">
          <h2 id="usage-heading">${text.usageCard}</h2>
          ${data.usage ? this.#renderChart(data.usage) : nothing}
        </section>
        <section class="card" aria-labelledby="health-heading">
          <h2 id="health-heading">${text.healthCard}</h2>
          ${
            data.health === 'down' || data.health?.status !== 'ok'
              ? html`<p class="alert" data-health="down">${text.healthDown}</p>`
              : html`<p class="ok" data-health="ok">${text.healthOk}</p>
                <p class="hint">${text.version(data.health.version)} · ${formatDateTime(language, new Date().toISOString())}</p>`
          }
        </section>
      </div>`;
  }

  #renderChecklist(data: DashboardData): TemplateResult | typeof nothing {
    const text = this.app.text;
    const steps = [
      { key: 'llm', done: Boolean(data.settings?.llm_model), href: '/settings/llm' },
      { key: 'agent', done: (data.agents?.length ?? 0) > 0, href: '/agents' },
      { key: 'start', done: data.agents?.some((agent) => agent.status === 'running') ?? false, href: '/agents' },
      { key: 'conversation', done: (data.recent?.length ?? 0) > 0, href: '/conversations' },
    ] as const;
    if (steps.every((step) => step.done)) return nothing;
    return html`<section class="card checklist" aria-labelledby="checklist-heading" data-checklist>
      <h2 id="checklist-heading">${text.checklist}</h2>
      <ol>
        ${steps.map(
          (step) =>
            html`<li data-done=${step.done ? 'true' : 'false'} data-step=${step.key}>
              ${step.done ? html`${text.checklistSteps[step.key]} <span class="sr-only">(${text.done})</span>` : html`<a href=${step.href}>${text.checklistSteps[step.key]}</a>`}
            </li>`,
        )}
      </ol>
    </section>`;
  }

  #renderChart(usage: UsageList): TemplateResult {
    const text = this.app.text;
    const language = this.app.language;
    const days = usage.data;
    const max = Math.max(1, ...days.map((day) => day.total_tokens));
    const total = days.reduce((sum, day) => sum + day.total_tokens, 0);
    const slot = CHART_WIDTH / days.length;
    const plot = CHART_HEIGHT - 4;
    const summary = text.usageSummary(formatNumber(language, total), days.length);
    return html`<svg class="chart" viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}" role="img" aria-label=${summary} data-total=${total}>
        ${days.map((day, index) => {
          const height = Math.round((day.total_tokens / max) * (plot - 4));
          const x = index * slot + slot * 0.15;
          return svg`<rect class="bar" x=${x.toFixed(1)} y=${plot - height} width=${(slot * 0.7).toFixed(1)} height=${height} data-date=${day.date} data-tokens=${day.total_tokens}><title>${day.date}: ${formatNumber(language, day.total_tokens)} ${text.tokens}</title></rect>`;
        })}
        ${svg`<line class="baseline" x1="0" x2=${CHART_WIDTH} y1=${plot} y2=${plot}></line>`}
      </svg>
      <div class="axis-labels hint" aria-hidden="true"><span>${days[0]?.date ?? ''}</span><span>${days.at(-1)?.date ?? ''}</span></div>
      <p class="hint">${summary}</p>`;
  }
}

if (!customElements.get('metis-dashboard-page')) customElements.define('metis-dashboard-page', DashboardPage);
