import { defineConfig, mergeConfig, type ViteUserConfig } from 'vitest/config';

/** Resolve workspace packages to their TypeScript sources, as `npm start` does. */
export const sourceConditions = ['@metisai/source'];

export const defineProject = (config: ViteUserConfig) =>
  mergeConfig(
    defineConfig({
      resolve: { conditions: [...sourceConditions, 'module', 'node', 'import', 'default'] },
      ssr: { resolve: { conditions: sourceConditions, externalConditions: sourceConditions } },
      test: { testTimeout: 30_000, hookTimeout: 60_000 },
    }),
    config,
  );
