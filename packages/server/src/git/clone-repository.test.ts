import { describe, expect, test } from 'vitest';
import { tokenUserName } from './clone-repository.ts';

describe('tokenUserName', () => {
  test('the user name each big host expects with an access token over HTTPS', () => {
    expect(tokenUserName('https://gitlab.com/a/b.git')).toBe('oauth2');
    expect(tokenUserName('https://gitlab.example.org/a/b.git')).toBe('oauth2');
    expect(tokenUserName('https://bitbucket.org/a/b.git')).toBe('x-token-auth');
    expect(tokenUserName('https://github.com/a/b.git')).toBe('x-access-token');
    expect(tokenUserName('https://git.internal/a/b.git')).toBe('x-access-token');
  });
});
