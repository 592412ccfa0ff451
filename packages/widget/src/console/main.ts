/**
 * The web console's entry (served at `/`): the shell `<metis-console>` and the sign-in page; every other page is a
 * chunk of its own, loaded when first shown.
 */
import '../shared/jitless.ts';
import { MetisConsole } from './app/metis-console.ts';
import './pages/login-page.ts';

if (!customElements.get('metis-console')) customElements.define('metis-console', MetisConsole);
