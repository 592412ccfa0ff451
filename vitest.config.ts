import { defineConfig } from 'vitest/config';

// Each workspace with tests has its own vitest.config.ts (built on vitest.shared.ts).
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'tests/*/vitest.config.ts'],
  },
});
