import { defineProject } from '../../vitest.shared.ts';

export default defineProject({
  test: {
    name: 'sdk-e2e',
    include: ['test/**/*.test.ts'],
    globalSetup: ['../../packages/server/test/support/global-setup.ts', 'test/packaging/global-build.ts'],
  },
});
