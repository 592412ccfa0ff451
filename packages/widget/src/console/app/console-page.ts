import { LitElement, type PropertyValues } from 'lit';
import type { ConsoleApp } from './console-app.ts';

/**
 * Base of every page element: the shell sets `app` (the API, words, navigation) and `params` (from the path), and the
 * `theme` attribute (resolved `light`/`dark`) that the shared tokens read. `load()` runs when the page is shown and
 * when its params change; pages render from what it stored.
 */
export abstract class ConsolePage extends LitElement {
  static override properties = {
    app: { attribute: false },
    params: { attribute: false },
    theme: { reflect: true },
  };

  declare app: ConsoleApp;
  declare params: Record<string, string>;
  declare theme: 'light' | 'dark';

  constructor() {
    super();
    this.params = {};
    this.theme = 'light';
  }

  /** The page's title (the shell sets `<title>` and focuses the page's `h1`). */
  abstract get pageTitle(): string;

  /** Fetches what the page shows. */
  protected load(): void | Promise<void> {}

  /** The heading keeps focus through the page's first load (its `h1` may be re-rendered when the data arrives). */
  #isFocusingHeading = false;

  /**
   * Focuses the page's `h1` (the shell calls it after each navigation), and again when a render replaces it while the
   * page loads, unless the reader has moved focus elsewhere meanwhile.
   */
  focusHeading(): void {
    this.#isFocusingHeading = true;
    this.#applyHeadingFocus();
  }

  #applyHeadingFocus(): void {
    const root = this.shadowRoot;
    const heading = root?.querySelector<HTMLElement>('h1');
    if (!root || !heading) return;
    const active = root.activeElement;
    if (active && active.localName !== 'h1') {
      this.#isFocusingHeading = false;
      return;
    }
    if (active === heading) return;
    if (document.activeElement && document.activeElement !== document.body && !document.activeElement.closest('metis-console')) return;
    heading.tabIndex = -1;
    heading.focus();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('params') && this.app) {
      void Promise.resolve(this.load()).finally(async () => {
        await this.updateComplete;
        if (this.#isFocusingHeading) this.#applyHeadingFocus();
        this.#isFocusingHeading = false;
      });
    }
  }

  protected override updated(): void {
    if (this.#isFocusingHeading) this.#applyHeadingFocus();
  }
}
