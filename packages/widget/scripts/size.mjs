// `npm run size`: the widget's single-file IIFE (Lit, the lean SDK and marked inside), minified and gzipped (-9),
// against its 67 KB budget, with the ES module beside it. Exits 1 over budget.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildWidget, OUTPUTS } from './build.mjs';

/**
 * 67 KB: 65 KB was the target (issue 16) until the embedding, repository and console work grew the shared parts and the
 * SDK's event schemas past it (66.3 KB); see docs/widget.md for what would win it back.
 */
export const BUDGET_BYTES = 67 * 1024;

/** Minified and min+gzip (-9) sizes of both built files, in bytes. */
export async function measure() {
  // A build of its own, so that a server serving dist/ never reads a half-written file.
  const outDir = await mkdtemp(path.join(tmpdir(), 'metis-widget-size-'));
  try {
    await buildWidget({ outDir });
    const sizes = {};
    for (const [format, file] of Object.entries(OUTPUTS)) {
      const code = await readFile(path.join(outDir, file));
      sizes[format] = { file, minified: code.length, gzipped: gzipSync(code, { level: 9 }).length };
    }
    return sizes;
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
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
