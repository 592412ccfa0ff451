import type { MetisClient, User } from '@metisai/sdk';
import type { Catalog, Language } from '../../shared/i18n/messages.ts';
import type { ConsoleCatalog } from '../i18n/console-messages.ts';

/** What every page gets from the console shell (`<metis-console>`): the API, the words, navigation and the user. */
export interface ConsoleApp {
  /** The API, with this tab's token; a 401 from it sends the user to sign in and back. */
  readonly client: MetisClient;
  readonly language: Language;
  /** The console's own words. */
  readonly text: ConsoleCatalog;
  /** The transcript's words and every error code's sentence (shared with `<metis-chat>`). */
  readonly catalog: Catalog;
  /** `light` or `dark`, resolved (the `auto` theme follows the system). */
  readonly resolvedTheme: 'light' | 'dark';
  /** The signed-in user (undefined on the public pages). */
  readonly user: User | undefined;
  /** The server's origin (for `<metis-chat>` and the snippets). */
  readonly origin: string;
  /** Goes to a console path (history API). */
  navigate(path: string, options?: { replace?: boolean }): void;
  /** Sets the page title (`<title> · MetisAI`), e.g. once an agent's name is known. */
  setTitle(title: string): void;
  /** A token was just issued (sign in, register): keeps it and goes on to `next` (or the dashboard). */
  signedIn(token: string, next?: string): Promise<void>;
  /** Forgets the token (after a sign-out or an account deletion) and shows the sign-in page. */
  signedOut(): void;
  /** A short announcement for screen readers (a polite live region). */
  announce(text: string): void;
}
