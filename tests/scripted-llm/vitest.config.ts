import { defineProject } from '../../vitest.shared.ts';

export default defineProject({ test: { name: 'scripted-llm', include: ['test/**/*.test.ts'] } });
