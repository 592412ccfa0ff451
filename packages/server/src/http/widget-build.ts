import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the built `<metis-chat>` files are, the version they are served under (`/widget/<version>/…`), and the console's build. */
export interface WidgetBuild {
  /** The widget package's version (its package.json). */
  version: string;
  /** The directory holding `metis-chat.js` and `metis-chat.iife.js` (the package's `dist/`). */
  dir: string;
  /** The web console's build (`dist/console/`: `index.html` and `assets/`), served at `/`. */
  consoleDir: string;
}

/**
 * The `@metisai/widget` package next to the server (a workspace dependency), or undefined when it is not installed
 * (the widget route then answers 404). Its `dist/` may still be unbuilt: `npm start` builds it first when stale.
 */
export function findWidgetBuild(): WidgetBuild | undefined {
  try {
    const manifest = fileURLToPath(import.meta.resolve('@metisai/widget/package.json'));
    const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
    const dir = path.join(path.dirname(manifest), 'dist');
    return { version, dir, consoleDir: path.join(dir, 'console') };
  } catch {
    return undefined;
  }
}
