// `npm run size`: the browser ESM build with its dependencies (ky, eventsource-parser, zod/mini), bundled,
// minified and gzipped, as an app's bundler would ship it; the lean entry is printed beside it. Fails when the whole
// SDK is above the budget.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';

const BUDGET_BYTES = 30 * 1024;

/** `entry`: a file, or `{ contents, resolveDir }` for a module made up here (two entry points together). */
async function measure(entry) {
  const result = await build({
    ...(typeof entry === 'string' ? { entryPoints: [entry] } : { stdin: { ...entry, loader: 'js' } }),
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    treeShaking: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
}

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const rows = [];
for (const [name, entry] of [
  ['@metisai/sdk (main entry, the budget)', 'dist/index.js'],
  ['@metisai/sdk/schemas', 'dist/schemas/index.js'],
  ['@metisai/sdk/lean (conversations, agents)', 'dist/lean.js'],
  // Apps that move files add this entry point; the budget is the main entry's.
  ['@metisai/sdk + @metisai/sdk/files', { contents: "export * from './index.js';\nexport * from './files.js';\n", resolveDir: 'dist' }],
  ['@metisai/sdk/embed (visitor sessions and conversations)', 'dist/embed.js'],
]) {
  const { minified, gzipped } = await measure(entry);
  rows.push({ bundle: name, minified: kb(minified), 'min+gzip': kb(gzipped), bytes: gzipped });
}
console.table(rows.map(({ bytes, ...row }) => row));
const total = rows[0].bytes;
console.log(`budget: ${kb(total)} of ${kb(BUDGET_BYTES)} (min+gzip, dependencies included)`);
if (total > BUDGET_BYTES) {
  console.error(`over budget by ${kb(total - BUDGET_BYTES)}`);
  process.exit(1);
}
