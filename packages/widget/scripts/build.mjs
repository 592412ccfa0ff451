// One builder, two bundles. The widget for browsers: dist/metis-chat.js (ES module) and dist/metis-chat.iife.js (one
// classic script), each with Lit, marked and the lean SDK inside, minified. The web console: dist/console/ (index.html
// and hashed, code-split ES modules and CSS under assets/), served by the server at `/`. `--if-stale` builds only when
// a source is newer than the build (what `npm start` runs first: a few seconds at most either way).
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { markedLexerOnlyPlugin } from './marked-lexer-only.mjs';
import { minifyTemplatesPlugin } from './minify-templates.mjs';

export const WIDGET_DIR = fileURLToPath(new URL('..', import.meta.url));
export const DIST_DIR = path.join(WIDGET_DIR, 'dist');
export const OUTPUTS = { esm: 'metis-chat.js', iife: 'metis-chat.iife.js' };
/** The console's page, in `dist/console/`; its scripts and styles are in `dist/console/assets/`. */
export const CONSOLE_DIR = path.join(DIST_DIR, 'console');
export const CONSOLE_INDEX = 'index.html';
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
  const built = await Promise.all(
    [...Object.values(OUTPUTS).map((file) => path.join(DIST_DIR, file)), path.join(CONSOLE_DIR, CONSOLE_INDEX)].map((file) =>
      stat(file).catch(() => undefined),
    ),
  );
  if (built.some((info) => !info)) return true;
  const oldest = Math.min(...built.map((info) => info.mtimeMs));
  const sources = await Promise.all(SOURCES.map(newestMtimeMs));
  return Math.max(...sources) > oldest;
}

/** What both bundles share: browsers, minified, the SDK from its sources, squeezed templates, marked's lexer alone. */
const commonOptions = () => ({
  bundle: true,
  minify: true,
  platform: 'browser',
  target: 'es2022',
  // The SDK from its TypeScript sources, as everything in the workspace runs.
  conditions: ['@metisai/source'],
  legalComments: 'eof',
  plugins: [minifyTemplatesPlugin(/[\\/]widget[\\/]src[\\/].*\.ts$/), markedLexerOnlyPlugin()],
  logLevel: 'warning',
});

const hashOf = (text) => createHash('sha256').update(text).digest('base64url').slice(0, 10).replace(/[-_]/g, 'x');

/**
 * Builds the console into `outDir` (default `dist/console/`): `assets/main-<hash>.js` and its lazily loaded page
 * chunks (one per route, shared code in `chunk-<hash>.js`), `assets/console-<hash>.css`, `assets/favicon.svg`,
 * `assets/boot-<hash>.js` (reloads once when the module graph failed to load), and
 * `index.html` naming them (the one file served without a hash; no inline script or style, for the strict CSP).
 * Answers the files written and their sizes in bytes.
 */
export async function buildConsole({ outDir = CONSOLE_DIR } = {}) {
  const { build } = await import('esbuild');
  const source = path.join(WIDGET_DIR, 'src/console');
  const assets = path.join(outDir, 'assets');
  await rm(outDir, { recursive: true, force: true });
  await mkdir(assets, { recursive: true });
  const result = await build({
    ...commonOptions(),
    entryPoints: { main: path.join(source, 'main.ts') },
    format: 'esm',
    splitting: true,
    outdir: assets,
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    metafile: true,
    write: true,
  });
  const outputs = Object.entries(result.metafile.outputs);
  const main = outputs.find(([, output]) => output.entryPoint?.endsWith('main.ts'))?.[0];
  if (!main) throw new Error('console build: no entry output');
  // Modules the entry imports statically: preloaded, so the first page does not wait for a waterfall.
  const preload = result.metafile.outputs[main].imports.filter((entry) => entry.kind === 'import-statement').map((entry) => path.basename(entry.path));
  const css = (await readFile(path.join(source, 'console.css'), 'utf8'))
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\s+/g, ' ')
    .replace(/\s*([{};,:])\s*/g, '$1')
    .trim();
  const cssFile = `console-${hashOf(css)}.css`;
  await writeFile(path.join(assets, cssFile), css);
  await writeFile(path.join(assets, 'favicon.svg'), await readFile(path.join(source, 'favicon.svg')));
  // A classic script that reloads the page once when the module graph failed to load (see boot.js).
  const boot = (await readFile(path.join(source, 'boot.js'), 'utf8')).replace(/^\/\/.*\n/gm, '').replace(/\n\s*/g, '');
  const bootFile = `boot-${hashOf(boot)}.js`;
  await writeFile(path.join(assets, bootFile), boot);
  const html = [
    '<!doctype html>',
    '<html lang="en" data-theme="auto">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    '<title>MetisAI</title>',
    '<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">',
    `<link rel="stylesheet" href="/assets/${cssFile}">`,
    ...preload.map((file) => `<link rel="modulepreload" href="/assets/${file}">`),
    `<script type="module" src="/assets/${path.basename(main)}"></script>`,
    `<script defer src="/assets/${bootFile}"></script>`,
    '</head>',
    '<body>',
    '<metis-console></metis-console>',
    '<noscript>The MetisAI console needs JavaScript.</noscript>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
  await writeFile(path.join(outDir, CONSOLE_INDEX), html);
  const files = [];
  for (const name of await readdir(assets)) files.push({ file: path.join(assets, name), bytes: (await stat(path.join(assets, name))).size });
  files.push({ file: path.join(outDir, CONSOLE_INDEX), bytes: Buffer.byteLength(html) });
  return { main: path.join(assets, path.basename(main)), files };
}

/** Builds both files into `outDir` (default `dist/`); answers their paths and minified sizes in bytes. */
export async function buildWidget({ outDir = DIST_DIR } = {}) {
  const { build } = await import('esbuild');
  const common = {
    ...commonOptions(),
    entryPoints: [path.join(WIDGET_DIR, 'src/index.ts')],
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
    const built = await buildConsole();
    results.console = { file: built.main, bytes: built.files.reduce((sum, entry) => sum + entry.bytes, 0) };
  } catch (error) {
    // `npm start` on an install without dev dependencies: the server starts anyway and its /widget/ route answers 404.
    if (ifStale && error?.code === 'ERR_MODULE_NOT_FOUND') {
      console.warn('[widget] not built: esbuild is not installed (npm ci without --omit=dev builds it); /widget/ and the console will answer 404');
      process.exit(0);
    }
    throw error;
  }
  const ms = Math.round(performance.now() - started);
  console.log(
    `widget and console built in ${ms} ms: ${Object.values(results)
      .map(({ file, bytes }) => `${path.relative(WIDGET_DIR, file)} (${(bytes / 1024).toFixed(1)} KB)`)
      .join(', ')}`,
  );
}
