import { defineProject } from '../../vitest.shared.ts';

export default defineProject({
  test: {
    name: 'compose-e2e',
    include: ['test/**/*.test.ts'],
    // `npm test` runs this project on its own, after every other one (`npm run test:deploy`): the deployment test builds
    // images and runs a whole stack, which must not share the 2 cores of a CI machine with the other Docker-heavy
    // suites. (vitest 5.1's sequence.groupOrder did not hold it back: it started beside the others.)
    testTimeout: 30 * 60_000,
  },
});
