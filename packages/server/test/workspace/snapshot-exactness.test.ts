import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hasDocker, STOCK_IMAGE } from '../../../sandbox/test/helpers/docker-availability.ts';
import { Http } from '../support/http.ts';
import { startTestServer } from '../support/test-server.ts';
import { eventsOf, type Runtime, scripted, startRuntime, waitForState } from '../runtime/runtime-harness.ts';
import { bash, finish, MANIFEST, manifestIn } from './workspace-manifest.ts';

/**
 * A step's changed files and its snapshot come from a listing kept up to date by scans of what changed (entries whose
 * ctime moved): changes a listing by size and mtime cannot see — a rewrite that keeps both (`touch -d`, `cp -p`) — and
 * changes a scan of changed entries alone cannot see — deletions, a directory renamed with its tree — must show in
 * both, whatever the driver, and after a server restart.
 */

/** Each step's command, what its changed files must be (sorted by path), and what its manifest must show. */
const STEPS: { command: string; changed: [string, string][]; shows: string[] }[] = [
  {
    command:
      "mkdir -p dir/sub empty && printf aaaa > a.txt && touch -d 2001-01-01 a.txt && printf 1 > dir/sub/f && printf '#!/bin/sh\\n' > s.sh && ln -s a.txt link && printf x > same.txt",
    changed: [
      ['a.txt', 'added'],
      ['dir/sub/f', 'added'],
      ['link', 'added'],
      ['s.sh', 'added'],
      ['same.txt', 'added'],
    ],
    shows: ['d 755 ./empty', 'l 777 ./link a.txt', 'f 644 ./s.sh'],
  },
  {
    // Same sizes, same mtimes, same inodes: only the bytes (and ctime) differ.
    command: 'printf bbbb > a.txt && touch -d 2001-01-01 a.txt && printf y > q && touch -r same.txt q && cp -p q same.txt',
    changed: [
      ['a.txt', 'modified'],
      ['q', 'added'],
      ['same.txt', 'modified'],
    ],
    shows: ['f 644 ./q'],
  },
  {
    command: 'mv dir dir2 && chmod +x s.sh && ln -sfn same.txt link && rmdir empty && mkdir fresh && rm q',
    changed: [
      ['dir/sub/f', 'deleted'],
      ['dir2/sub/f', 'added'],
      ['link', 'modified'],
      ['q', 'deleted'],
      ['s.sh', 'modified'],
    ],
    shows: ['d 755 ./fresh', 'f 755 ./s.sh', 'l 777 ./link same.txt', 'd 755 ./dir2/sub'],
  },
  { command: 'printf cccc > a.txt', changed: [['a.txt', 'modified']], shows: [] },
  // Right after the step before (same second, maybe the same clock tick): the same size again.
  { command: 'printf dddd > a.txt', changed: [['a.txt', 'modified']], shows: [] },
  // A tree removed and made again: its directories often get their old inode numbers back, and are watched anew.
  { command: 'rm -rf dir2 && mkdir -p dir2/sub && printf 22 > dir2/sub/f', changed: [['dir2/sub/f', 'modified']], shows: [] },
  { command: 'printf 333 > dir2/sub/f', changed: [['dir2/sub/f', 'modified']], shows: [] },
];

for (const driver of ['local', 'docker'] as const) {
  describe.skipIf(driver === 'docker' && !hasDocker)(`changed files and snapshots on the ${driver} driver`, () => {
    let rt: Runtime;
    beforeAll(async () => {
      rt = await startRuntime({
        driver,
        env: { QUOTA_SANDBOXES_PER_USER: '40', ...(driver === 'docker' ? { SANDBOX_IMAGE: STOCK_IMAGE, SANDBOX_ALLOWED_IMAGES: STOCK_IMAGE } : {}) },
      });
    });
    afterAll(() => rt?.close());

    test('old mtimes kept, deletions, renamed directories, chmod, a retargeted link, empty directories, a file changed twice in a second', async () => {
      const id = (await rt.http.post('/api/v1/conversations', {})).body.id as string;
      rt.llm.setScript(scripted([...STEPS.map((step) => bash(`${step.command} && ${MANIFEST}`)), finish]));
      await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'go' });
      expect((await waitForState(rt.http, id, ['finished', 'error'], 60_000)).state).toBe('finished');
      const observations = (await eventsOf(rt.http, id)).filter((event) => event.type === 'observation' && event.content.includes('<<manifest'));
      expect(observations).toHaveLength(STEPS.length);
      const manifests = observations.map((observation) => manifestIn(observation.content));
      expect(new Set(manifests).size).toBe(STEPS.length);
      for (const [index, step] of STEPS.entries()) {
        expect(observations[index]!.changed_files, step.command).toEqual(step.changed.map(([path, status]) => ({ path, status })));
        for (const line of step.shows) expect(manifests[index]).toContain(line);
      }
      for (const [index, observation] of observations.entries()) {
        const fork = await rt.http.post(`/api/v1/conversations/${id}/fork`, { at_seq: observation.seq });
        expect(fork.status).toBe(201);
        rt.llm.setScript(scripted([bash(MANIFEST), finish]));
        await rt.http.post(`/api/v1/conversations/${fork.body.id}/messages`, { content: 'print' });
        expect((await waitForState(rt.http, fork.body.id, ['finished', 'error'], 60_000)).state).toBe('finished');
        const printed = (await eventsOf(rt.http, fork.body.id)).filter((event) => event.type === 'observation').at(-2)!;
        expect(manifestIn(printed.content), STEPS[index]!.command).toBe(manifests[index]);
      }
    }, 300_000);
  });
}

test('after a server restart mid-conversation the next step lists its changes and is recorded exactly', async () => {
  const rt = await startRuntime();
  let again: Awaited<ReturnType<typeof startTestServer>> | undefined;
  try {
    const id = (await rt.http.post('/api/v1/conversations', {})).body.id as string;
    rt.llm.setScript(scripted([bash('printf aaaa > a.txt && touch -d 2001-01-01 a.txt && printf k > kept.txt'), finish]));
    await rt.http.post(`/api/v1/conversations/${id}/messages`, { content: 'first' });
    expect((await waitForState(rt.http, id, ['finished', 'error'])).state).toBe('finished');
    await rt.server.close();

    again = await startTestServer({ databaseUrl: rt.server.databaseUrl, env: { SANDBOX_DRIVER: 'local', METIS_DATA_DIR: rt.dataDir } });
    const http = new Http(again.url, rt.user.token);
    rt.llm.setScript(scripted([bash(`printf bbbb > a.txt && touch -d 2001-01-01 a.txt && ${MANIFEST}`), finish]));
    await http.post(`/api/v1/conversations/${id}/messages`, { content: 'second' });
    expect((await waitForState(http, id, ['finished', 'error'])).state).toBe('finished');
    const step = (await eventsOf(http, id)).filter((event) => event.type === 'observation').at(-2)!;
    expect(step.changed_files).toEqual([{ path: 'a.txt', status: 'modified' }]);

    const fork = await http.post(`/api/v1/conversations/${id}/fork`, { at_seq: step.seq });
    expect(fork.status).toBe(201);
    rt.llm.setScript(scripted([bash(MANIFEST), finish]));
    await http.post(`/api/v1/conversations/${fork.body.id}/messages`, { content: 'print' });
    expect((await waitForState(http, fork.body.id, ['finished', 'error'])).state).toBe('finished');
    const printed = (await eventsOf(http, fork.body.id)).filter((event) => event.type === 'observation').at(-2)!;
    expect(manifestIn(printed.content)).toBe(manifestIn(step.content));
  } finally {
    await again?.close();
    await rt.llm.close();
    await rm(rt.dataDir, { recursive: true, force: true });
  }
}, 120_000);
