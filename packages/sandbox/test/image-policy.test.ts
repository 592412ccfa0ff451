import { describe, expect, test } from 'vitest';
import { assertRegistryReachable, registryOf } from '../src/docker/sandbox-image.ts';
import { assertImageAllowed, ImageNotAllowedError } from '../src/index.ts';

const allowed = (image: string, list: readonly string[] | undefined) => {
  try {
    assertImageAllowed(image, list);
    return true;
  } catch (err) {
    if (err instanceof ImageNotAllowedError) return false;
    throw err;
  }
};

describe('the image policy', () => {
  test('names and patterns: a missing tag means latest', () => {
    expect(allowed('metisai/sandbox', ['metisai/sandbox:latest'])).toBe(true);
    expect(allowed('metisai/sandbox:1.2', ['metisai/sandbox:latest'])).toBe(false);
    expect(allowed('python:3.12-slim', ['python:*'])).toBe(true);
    expect(allowed('ghcr.io/acme/tool:1', ['ghcr.io/acme/*'])).toBe(true);
    expect(allowed('ghcr.io/other/tool:1', ['ghcr.io/acme/*'])).toBe(false);
    expect(allowed('anything/at-all:7', ['*'])).toBe(true);
    expect(allowed('anything/at-all:7', undefined)).toBe(true);
  });

  test('an image given by id or digest passes only when listed exactly, whatever the patterns', () => {
    const id = `sha256:${'ab'.repeat(32)}`;
    const digest = `python@sha256:${'cd'.repeat(32)}`;
    for (const image of [id, 'ab'.repeat(6), digest]) {
      expect(allowed(image, ['*'])).toBe(false);
      expect(allowed(image, undefined)).toBe(false);
      expect(allowed(image, ['python*'])).toBe(false);
      expect(allowed(image, [image])).toBe(true);
    }
    expect(() => assertImageAllowed(id, ['*'])).toThrow(`Image "${id}" is not allowed for sandboxes (an image given by id or digest must be listed exactly)`);
  });

  test('a registry on localhost or an internal address needs an entry naming it; * is not enough', () => {
    for (const image of [
      'localhost:5000/tool',
      'localhost/tool:1',
      '127.0.0.1:5000/tool',
      '10.0.0.5/tool',
      '[::1]:5000/tool',
      '169.254.169.254/x',
      '192.168.1.20:443/x',
    ]) {
      expect(allowed(image, ['*'])).toBe(false);
      expect(allowed(image, undefined)).toBe(false);
    }
    expect(allowed('localhost:5000/tool', ['localhost:5000/*'])).toBe(true);
    expect(allowed('127.0.0.1:5000/tool:2', ['127.0.0.1:5000/tool:*'])).toBe(true);
    expect(allowed('127.0.0.1:5000/tool', ['localhost:5000/*'])).toBe(false);
    expect(() => assertImageAllowed('10.0.0.5/tool', ['*'])).toThrow('its registry 10.0.0.5 is local or private; an entry must name that registry');
    // A public registry, or Docker Hub, is judged by the list alone.
    expect(allowed('ghcr.io/acme/tool', ['*'])).toBe(true);
    expect(allowed('8.8.8.8:5000/tool', ['*'])).toBe(true);
  });

  test("Docker's rule for what names a registry", () => {
    expect(registryOf('python:3.12')).toBeUndefined();
    expect(registryOf('library/python')).toBeUndefined();
    expect(registryOf('localhost/x')).toBe('localhost');
    expect(registryOf('ghcr.io/acme/x')).toBe('ghcr.io');
    expect(registryOf('host:5000/x')).toBe('host:5000');
  });

  test('a registry whose name resolves to an internal address is refused before a pull, unless an entry names it', async () => {
    await expect(assertRegistryReachable('localhost:5000/tool', ['*'])).rejects.toThrow(
      'its registry localhost:5000 resolves to 127.0.0.1, an internal address',
    );
    await expect(assertRegistryReachable('localhost:5000/tool', ['localhost:5000/*'])).resolves.toBeUndefined();
    await expect(assertRegistryReachable('python:3.12', ['*'])).resolves.toBeUndefined();
  });
});
