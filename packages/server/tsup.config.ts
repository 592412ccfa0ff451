import { defineConfig } from 'tsup';

// `npm start` runs the TypeScript sources; this build is what a published package ships.
export default defineConfig([
  {
    entry: { main: 'src/main.ts', index: 'src/index.ts' },
    format: ['esm'],
    platform: 'node',
    target: 'node22',
    sourcemap: true,
    clean: true,
  },
  {
    entry: { index: 'src/index.ts' },
    format: ['cjs'],
    platform: 'node',
    target: 'node22',
    sourcemap: true,
    shims: true,
  },
]);
