import { defineProject } from '../../vitest.shared.ts';

export default defineProject({ test: { name: 'sdk', include: ['test/**/*.test.ts'] } });
