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

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('params') && this.app) void this.load();
  }
}
