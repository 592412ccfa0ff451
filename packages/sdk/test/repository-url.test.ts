import { describe, expect, test } from 'vitest';
import { ConversationCreateParamsSchema, repositoryUrlProblem } from '../src/schemas/index.ts';

describe('repositoryUrlProblem', () => {
  test('https and http URLs without credentials, query or fragment pass', () => {
    for (const url of ['https://github.com/acme/app.git', 'http://git.internal:8080/app', 'https://host/a/b/c']) expect(repositoryUrlProblem(url)).toBeNull();
  });

  test.each([
    ['https://user:token@github.com/a.git', /credentials/],
    ['https://token@github.com/a.git', /credentials/],
    ['ssh://git@github.com/a.git', /ssh/],
    ['git@github.com:a/b.git', /./],
    ['file:///etc', /https/],
    ['github.com/a.git', /absolute URL/],
    ['https://github.com/a.git?x=1', /query/],
    ['https://github.com/a.git#main', /fragment/],
  ])('%s is refused', (url, why) => {
    expect(repositoryUrlProblem(url)).toMatch(why);
  });

  test('the create schema names repository.url', () => {
    const result = ConversationCreateParamsSchema.safeParse({ repository: { url: 'https://a:b@example.com/x.git' } });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]).toMatchObject({ path: ['repository', 'url'], message: expect.stringContaining('credentials') });
  });
});
