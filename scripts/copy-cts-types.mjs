// tsc keeps the sources' `./x.ts` specifiers in declarations: point them at the built files, and give every
// `.d.ts` a `.d.cts` twin (with `./x.cjs` specifiers) for CommonJS consumers.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

async function* walk(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else yield full;
  }
}

const specifier = /(from\s+|import\()(['"])(\.{1,2}\/[^'"]+)\.ts\2/g;
for await (const file of walk('dist')) {
  if (!file.endsWith('.d.ts')) continue;
  const source = await readFile(file, 'utf8');
  await writeFile(file, source.replace(specifier, '$1$2$3.js$2'));
  await writeFile(file.replace(/\.d\.ts$/, '.d.cts'), source.replace(specifier, '$1$2$3.cjs$2'));
}
