import { defineProject } from '../../vitest.shared.ts';

export default defineProject({
  test: {
    name: 'compose-e2e',
    include: ['test/**/*.test.ts'],
    // After every other project (their groupOrder is 0): the deployment test builds images and runs a whole stack,
    // which must not share the 2 cores of a CI machine with the other Docker-heavy suites.
    sequence: { groupOrder: 1 },
    testTimeout: 30 * 60_000,
  },
});
