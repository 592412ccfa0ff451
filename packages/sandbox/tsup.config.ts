import { defineConfig } from 'tsup';

// Workspaces run the TypeScript sources; this build is what the published package ships
// (the Dockerfile travels next to dist/, where `packageDockerfilePath()` finds it).
export default defineConfig([
  { entry: { index: 'src/index.ts' }, format: ['esm'], platform: 'node', target: 'node22', sourcemap: true, clean: true },
  { entry: { index: 'src/index.ts' }, format: ['cjs'], platform: 'node', target: 'node22', sourcemap: true, shims: true },
]);
