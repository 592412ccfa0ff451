import { defineProject } from '../../vitest.shared.ts';

export default defineProject({
  test: {
    name: 'widget',
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // A real PostgreSQL (as the server's tests get it) and one build of the widget for every file.
    globalSetup: ['../server/test/support/global-setup.ts', 'test/support/global-build.ts'],
  },
});
