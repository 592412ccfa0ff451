import { describe, expect, test } from 'vitest';
import { RepositoryParamsSchema } from '../src/schemas/index.ts';

/** The form of a clone URL (`repository.url` of `POST /conversations`), checked before anything is fetched. */
describe('repository.url', () => {
  const problem = (url: string) => {
    const result = RepositoryParamsSchema.safeParse({ url });
    return result.success ? null : result.error.issues.map((issue) => issue.message).join('; ');
  };

  test('https and http URLs without credentials, query or fragment pass', () => {
    for (const url of ['https://github.com/acme/app.git', 'http://git.internal:8080/app', 'https://host/a/b@c']) expect(problem(url)).toBeNull();
  });

  test.each([
    ['https://user:token@github.com/a.git', /credentials/],
    ['https://token@github.com/a.git', /credentials/],
    ['ssh://git@github.com/a.git', /https/],
    ['git@github.com:a/b.git', /https/],
    ['file:///etc', /https/],
    ['github.com/a.git', /https/],
    ['https://github.com/a.git?x=1', /query/],
    ['https://github.com/a.git#main', /fragment/],
  ])('%s is refused', (url, why) => {
    expect(problem(url)).toMatch(why);
  });
});
