import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { EnvSchema, loadConfig } from '../../src/config.ts';

const root = path.resolve(import.meta.dirname, '../../../..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const compose = read('docker-compose.yml');
const envExample = read('.env.example');
const nginxEntrypoint = read('deploy/nginx/docker-entrypoint.d/40-metisai.sh');

/** The text of one top-level service of docker-compose.yml (from `  <name>:` to the next service or section). */
function service(name: string): string {
  const match = new RegExp(`^  ${name}:\\n((?:(?:    .*)?\\n)*)`, 'm').exec(compose);
  if (!match) throw new Error(`no service ${name} in docker-compose.yml`);
  return match[1]!;
}

describe('docker-compose.yml and .env.example', () => {
  const server = service('server');
  const fixed = new Set([...server.matchAll(/^ {6}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]!));

  test('the env file reaches the server as it is', () => {
    expect(server).toMatch(/^ {4}env_file:\n {6}- \$\{ENV_FILE:-\.env\}$/m);
  });

  test('every server setting is documented in .env.example or set by the compose file', () => {
    const settings = Object.keys(EnvSchema.shape);
    expect(settings.length).toBeGreaterThan(40);
    const missing = settings.filter((name) => !fixed.has(name) && !new RegExp(`^#? ?${name}=`, 'm').test(envExample));
    // METIS_DATA_DIR is the image's (Dockerfile ENV, the serverdata volume).
    expect(missing).toEqual(['METIS_DATA_DIR']);
  });

  test('nginx gets the body limits the server gets, with the server defaults', () => {
    const defaults = loadConfig({});
    const expected = {
      UPLOAD_LIMIT_BYTES: defaults.uploadLimitBytes,
      IMPORT_LIMIT_BYTES: defaults.importLimitBytes,
      BODY_LIMIT_BYTES: defaults.bodyLimitBytes,
    };
    for (const [name, value] of Object.entries(expected)) {
      const line = `      ${name}: \${${name}:-${value}}`;
      expect(server.split('\n'), `server: ${name}`).toContain(line);
      expect(service('nginx').split('\n'), `nginx: ${name}`).toContain(line);
      expect(nginxEntrypoint).toContain(`"\${${name}:-${value}}"`);
    }
  });
});
