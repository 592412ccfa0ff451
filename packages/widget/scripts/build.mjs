// Builds the widget for browsers: dist/metis-chat.js (ES module) and dist/metis-chat.iife.js (one classic script),
// each with Lit, marked and the lean SDK inside, minified. `--if-stale` builds only when a source is newer than the
// build (what `npm start` runs first: well under a second either way).
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { markedLexerOnlyPlugin } from './marked-lexer-only.mjs';
import { minifyTemplatesPlugin } from './minify-templates.mjs';

export const WIDGET_DIR = fileURLToPath(new URL('..', import.meta.url));
export const DIST_DIR = path.join(WIDGET_DIR, 'dist');
export const OUTPUTS = { esm: 'metis-chat.js', iife: 'metis-chat.iife.js' };
const SOURCES = [path.join(WIDGET_DIR, 'src'), path.join(WIDGET_DIR, 'package.json'), path.join(WIDGET_DIR, '../sdk/src'), path.join(WIDGET_DIR, 'scripts')];

async function newestMtimeMs(target) {
  const info = await stat(target).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of await readdir(target)) {
    if (entry === 'node_modules' || entry.endsWith('.test.ts')) continue;
    newest = Math.max(newest, await newestMtimeMs(path.join(target, entry)));
  }
  return newest;
}

/** Whether a build is missing or older than a source file. */
export async function isStale() {
  const built = await Promise.all(Object.values(OUTPUTS).map((file) => stat(path.join(DIST_DIR, file)).catch(() => undefined)));
  if (built.some((info) => !info)) return true;
  const oldest = Math.min(...built.map((info) => info.mtimeMs));
  const sources = await Promise.all(SOURCES.map(newestMtimeMs));
  return Math.max(...sources) > oldest;
}

/** Builds both files into `outDir` (default `dist/`); answers their paths and minified sizes in bytes. */
export async function buildWidget({ outDir = DIST_DIR } = {}) {
  const { build } = await import('esbuild');
  const common = {
    entryPoints: [path.join(WIDGET_DIR, 'src/index.ts')],
    bundle: true,
    minify: true,
    platform: 'browser',
    target: 'es2022',
    // The SDK from its TypeScript sources, as everything in the workspace runs.
    conditions: ['@metisai/source'],
    legalComments: 'eof',
    plugins: [minifyTemplatesPlugin(/[\\/]widget[\\/]src[\\/].*\.ts$/), markedLexerOnlyPlugin()],
    logLevel: 'warning',
    write: true,
  };
  const results = {};
  for (const [format, file] of Object.entries(OUTPUTS)) {
    const outfile = path.join(outDir, file);
    await build({ ...common, format, outfile });
    results[format] = { file: outfile, bytes: (await stat(outfile)).size };
  }
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const ifStale = process.argv.includes('--if-stale');
  if (ifStale && !(await isStale())) process.exit(0);
  const started = performance.now();
  let results;
  try {
    results = await buildWidget();
  } catch (error) {
    // `npm start` on an install without dev dependencies: the server starts anyway and its /widget/ route answers 404.
    if (ifStale && error?.code === 'ERR_MODULE_NOT_FOUND') {
      console.warn('[widget] not built: esbuild is not installed (npm ci without --omit=dev builds it); /widget/ will answer 404');
      process.exit(0);
    }
    throw error;
  }
  const ms = Math.round(performance.now() - started);
  console.log(
    `widget built in ${ms} ms: ${Object.values(results)
      .map(({ file, bytes }) => `${path.relative(WIDGET_DIR, file)} (${(bytes / 1024).toFixed(1)} KB)`)
      .join(', ')}`,
  );
}
