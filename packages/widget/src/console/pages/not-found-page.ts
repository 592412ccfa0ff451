import { html, type TemplateResult } from 'lit';
import { ConsolePage } from '../app/console-page.ts';
import { consoleStyles } from '../styles/console.styles.ts';

/** Any path that is not a console page (the server answers it with status 404 and this page). */
export class NotFoundPage extends ConsolePage {
  static override styles = consoleStyles;

  get pageTitle(): string {
    return this.app.text.titles.notFound;
  }

  override render(): TemplateResult {
    const text = this.app.text;
    return html`<div class="root">
      <div class="page">
        <h1>${text.titles.notFound}</h1>
        <p>${text.notFoundText}</p>
        <p><a href="/">${text.backHome}</a></p>
      </div>
    </div>`;
  }
}

if (!customElements.get('metis-not-found-page')) customElements.define('metis-not-found-page', NotFoundPage);
