// `npm run size`: the widget's single-file IIFE (Lit, the lean SDK and marked inside), minified and gzipped (-9),
// against its 65 KB budget, with the ES module beside it. Exits 1 over budget.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildWidget, DIST_DIR, OUTPUTS } from './build.mjs';

export const BUDGET_BYTES = 65 * 1024;

/** Minified and min+gzip (-9) sizes of both built files, in bytes. */
export async function measure() {
  await buildWidget();
  const sizes = {};
  for (const [format, file] of Object.entries(OUTPUTS)) {
    const code = await readFile(path.join(DIST_DIR, file));
    sizes[format] = { file, minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
  }
  return sizes;
}

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const sizes = await measure();
console.table(
  Object.values(sizes).map(({ file, minified, gzipped }) => ({ bundle: `@metisai/widget ${file}`, minified: kb(minified), 'min+gzip': kb(gzipped) })),
);
console.log(`budget: ${kb(sizes.iife.gzipped)} of ${kb(BUDGET_BYTES)} (min+gzip, Lit, SDK and marked included)`);
if (sizes.iife.gzipped > BUDGET_BYTES) {
  console.error(`over budget by ${kb(sizes.iife.gzipped - BUDGET_BYTES)}`);
  process.exit(1);
}
