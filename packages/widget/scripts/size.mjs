// `npm run size`: the widget's single-file IIFE (Lit, the lean SDK and marked inside), minified and gzipped (-9),
// against its 65 KB budget, with the ES module beside it. Exits 1 over budget.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildWidget, OUTPUTS } from './build.mjs';

/** 65 KB (issue 16): Lit, the SDK's parts the widget uses and marked's lexer included; see docs/widget.md. */
export const BUDGET_BYTES = 65 * 1024;

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
