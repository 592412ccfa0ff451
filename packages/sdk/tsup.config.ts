import { defineConfig } from 'tsup';

// Declarations come from `tsc -p tsconfig.build.json` (tsup's dts step needs the TypeScript compiler API, gone in TS 7).
export default defineConfig({
  entry: { index: 'src/index.ts', 'schemas/index': 'src/schemas/index.ts', lean: 'src/lean.ts', files: 'src/files.ts', embed: 'src/embed.ts' },
  format: ['esm', 'cjs'],
  target: 'es2022',
  platform: 'neutral',
  sourcemap: true,
  clean: true,
  dts: false,
  treeshake: true,
});
