import { html, nothing, type TemplateResult } from 'lit';
import { guard } from 'lit/directives/guard.js';
import { Lexer, type Token, type Tokens } from 'marked';

/** What rendering needs from the element: which image hosts may load, the labels, and the copy action. */
export interface MarkdownContext {
  /** Hosts (`images.example.com`) whose images are loaded; any other image is shown as a note. */
  imageHosts: readonly string[];
  copyLabel: string;
  imageBlocked: (host: string) => string;
  onCopy: (text: string, button: HTMLButtonElement) => void;
  /** Changes when anything above does: finished blocks re-render only when their text or this key changes. */
  key: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** Decodes the entities CommonMark text keeps as written (`&amp;`, `&#39;`, `&#x27;`): the text is shown as text. */
export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]+);/gi, (match, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : match;
    }
    return ENTITIES[name.toLowerCase()] ?? match;
  });
}

/** `http:`, `https:` and `mailto:` links only (no `javascript:`, `data:`…); answers the absolute URL or undefined. */
export function safeLinkUrl(href: string): string | undefined {
  try {
    const url = new URL(href, 'https://invalid.invalid/');
    if (url.hostname === 'invalid.invalid') return undefined; // relative: it would point into the host page
    return ['http:', 'https:', 'mailto:'].includes(url.protocol) ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** The image URL when its host is allowed (`https:`/`http:` only), else its host (for the note) or ''. */
export function imageSource(href: string, allowedHosts: readonly string[]): { src?: string; host: string } {
  try {
    const url = new URL(href);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return { host: url.protocol.replace(':', '') };
    return allowedHosts.includes(url.host.toLowerCase()) ? { src: url.href, host: url.host } : { host: url.host };
  } catch {
    return { host: '' };
  }
}

/**
 * Markdown (GFM) to Lit templates, through marked's lexer: model output is never parsed as HTML. Raw HTML in the
 * text shows as text; links open in a new tab with `rel="noopener noreferrer"`; images load only from
 * `context.imageHosts`. Each top-level block is guarded by its source text, so while a message streams only its last
 * block re-renders.
 */
export function renderMarkdown(source: string, context: MarkdownContext): TemplateResult {
  const tokens = Lexer.lex(source, { gfm: true });
  return html`${tokens.map((token) => guard([token.raw, context.key], () => block(token, context)))}`;
}

const blocks = (tokens: readonly Token[] | undefined, context: MarkdownContext): unknown => (tokens ? tokens.map((token) => block(token, context)) : nothing);

function block(token: Token, context: MarkdownContext): unknown {
  switch (token.type) {
    case 'space':
    case 'def':
      return nothing;
    case 'paragraph':
      return html`<p>${inline(token.tokens, context)}</p>`;
    case 'text':
      return token.tokens ? inline(token.tokens, context) : decodeEntities(token.text);
    case 'heading':
      // Styled, not a heading element: a model's `#` must not break the page's outline.
      return html`<p class="md-heading md-h${token.depth}"><strong>${inline(token.tokens, context)}</strong></p>`;
    case 'code':
      return codeBlock(token as Tokens.Code, context);
    case 'blockquote':
      return html`<blockquote>${blocks(token.tokens, context)}</blockquote>`;
    case 'hr':
      return html`<hr />`;
    case 'list':
      return list(token as Tokens.List, context);
    case 'table':
      return table(token as Tokens.Table, context);
    case 'html':
      return html`<p class="md-raw">${token.text}</p>`;
    case 'checkbox':
      return html`<input type="checkbox" disabled .checked=${Boolean(token.checked)} aria-hidden="true" /> `;
    default:
      return 'tokens' in token && token.tokens ? inline(token.tokens, context) : decodeEntities(token.raw);
  }
}

function codeBlock(token: Tokens.Code, context: MarkdownContext): TemplateResult {
  const language = (token.lang ?? '').split(/\s/)[0] ?? '';
  return html`<div class="code-block" part="code-block">
    <div class="code-head">
      <span class="code-lang">${language}</span>
      <button type="button" class="copy" part="copy-button" @click=${(event: Event) => context.onCopy(token.text, event.currentTarget as HTMLButtonElement)}>
        ${context.copyLabel}
      </button>
    </div>
    <pre tabindex="0"><code>${token.text}</code></pre>
  </div>`;
}

function list(token: Tokens.List, context: MarkdownContext): TemplateResult {
  const items = token.items.map((item) => html`<li class=${item.task ? 'task' : ''}>${blocks(item.tokens, context)}</li>`);
  if (token.ordered) {
    const start = typeof token.start === 'number' ? token.start : 1;
    return html`<ol start=${start}>${items}</ol>`;
  }
  return html`<ul>${items}</ul>`;
}

function table(token: Tokens.Table, context: MarkdownContext): TemplateResult {
  const align = (value: string | null) => (value ? `align-${value}` : '');
  return html`<div class="table-wrap" tabindex="0">
    <table>
      <thead>
        <tr>${token.header.map((cell) => html`<th class=${align(cell.align)}>${inline(cell.tokens, context)}</th>`)}</tr>
      </thead>
      <tbody>
        ${token.rows.map((row) => html`<tr>${row.map((cell) => html`<td class=${align(cell.align)}>${inline(cell.tokens, context)}</td>`)}</tr>`)}
      </tbody>
    </table>
  </div>`;
}

function inline(tokens: readonly Token[] | undefined, context: MarkdownContext): unknown {
  if (!tokens) return nothing;
  return tokens.map((token) => {
    switch (token.type) {
      case 'text':
        return token.tokens ? inline(token.tokens, context) : decodeEntities(token.text);
      case 'escape':
        return token.text;
      case 'strong':
        return html`<strong>${inline(token.tokens, context)}</strong>`;
      case 'em':
        return html`<em>${inline(token.tokens, context)}</em>`;
      case 'del':
        return html`<del>${inline(token.tokens, context)}</del>`;
      case 'codespan':
        return html`<code>${token.text}</code>`;
      case 'br':
        return html`<br />`;
      case 'link': {
        const href = safeLinkUrl((token as Tokens.Link).href);
        const label = inline(token.tokens, context);
        return href ? html`<a href=${href} target="_blank" rel="noopener noreferrer">${label}</a>` : label;
      }
      case 'image': {
        const image = token as Tokens.Image;
        const { src, host } = imageSource(image.href, context.imageHosts);
        return src
          ? html`<img src=${src} alt=${decodeEntities(image.text)} loading="lazy" referrerpolicy="no-referrer" />`
          : html`<span class="image-blocked">[${decodeEntities(image.text) || 'image'}] ${context.imageBlocked(host)}</span>`;
      }
      case 'html':
        return token.text;
      case 'checkbox':
        return html`<input type="checkbox" disabled .checked=${Boolean(token.checked)} aria-hidden="true" /> `;
      default:
        return 'tokens' in token && token.tokens ? inline(token.tokens, context) : decodeEntities(token.raw);
    }
  });
}
