import git from 'isomorphic-git';
import { describe, expect, test } from 'vitest';
import { CloneError, describeCloneFailure, tokenUserName } from './clone-repository.ts';

describe('tokenUserName', () => {
  test('the user name each big host expects with an access token over HTTPS', () => {
    expect(tokenUserName('https://gitlab.com/a/b.git')).toBe('oauth2');
    expect(tokenUserName('https://gitlab.example.org/a/b.git')).toBe('oauth2');
    expect(tokenUserName('https://bitbucket.org/a/b.git')).toBe('x-token-auth');
    expect(tokenUserName('https://github.com/a/b.git')).toBe('x-access-token');
    expect(tokenUserName('https://git.internal/a/b.git')).toBe('x-access-token');
  });
});

describe('describeCloneFailure', () => {
  const options = { url: 'https://git.example.com/app.git', ref: null, token: null };

  test('an isomorphic-git error it has no words for is the remote answer that could not be cloned', () => {
    const described = describeCloneFailure(new git.Errors.CommitNotFetchedError('main', 'abc123'), options, false);
    expect(described).toBeInstanceOf(CloneError);
    expect(described).toMatchObject({ code: 'repository_unreachable' });
    expect((described as Error).message).toContain('repository.url: https://git.example.com/app.git');
    expect((described as Error).message).toContain('CommitNotFetchedError');
  });

  test('a missing ref and a refused token keep their own codes; an error that is not git’s is answered as it is', () => {
    expect(describeCloneFailure(new git.Errors.NotFoundError('v9'), { ...options, ref: 'v9' }, false)).toMatchObject({ code: 'repository_ref_not_found' });
    expect(describeCloneFailure(new git.Errors.HttpError(403, 'Forbidden', ''), options, true)).toMatchObject({ code: 'repository_auth_failed' });
    const disk = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    expect(describeCloneFailure(disk, options, false)).toBe(disk);
  });
});
