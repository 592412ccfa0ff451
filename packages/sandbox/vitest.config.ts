import { defineProject } from '../../vitest.shared.ts';

export default defineProject({
  test: {
    name: 'sandbox',
    include: ['test/**/*.test.ts'],
  },
});
