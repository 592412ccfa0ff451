import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dockerDriver, localDriver, type Sandbox, type TreeEntry } from '@metisai/sandbox';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hasDocker, STOCK_IMAGE } from '../../../sandbox/test/helpers/docker-availability.ts';
import { CHECK_SCAN_EVERY, refreshListing, type WorkspaceListing } from '../../src/workspaces/workspace-listing.ts';

/**
 * The incremental listing a run keeps of its workspace (`refreshListing`: a scan of what changed since the last one,
 * applied to the listing before) must equal a whole listing after any change: the ones below are those a listing by
 * size and mtime misses (old mtimes kept), and those a scan of changed entries alone misses (deletions, directories
 * moved in with their old entries, a directory replaced by a file).
 */
const STEPS: [string, string][] = [
  [
    'a tree, a link, an empty directory',
    'mkdir -p a/b/c e empty && printf 1 > a/f && printf 22 > a/b/g && printf 3 > a/b/c/h && ln -s a/f link && printf x > keep',
  ],
  ['a rewrite that keeps an old mtime (touch -d)', 'printf Z > a/f && touch -d 2001-01-01 a/f'],
  ['the same size and mtime again', 'printf Y > a/f && touch -d 2001-01-01 a/f'],
  ['cp -p over a file', 'printf Q > q && touch -d 2001-01-01 q && cp -p q a/f'],
  ['tar x keeping mtimes', 'tar cf /tmp/metis-listing-$$.tar a && printf W > a/b/g2 && tar xf /tmp/metis-listing-$$.tar && rm /tmp/metis-listing-$$.tar'],
  ['a directory renamed with its tree', 'mv a a2'],
  ['chmod +x only', 'chmod +x keep'],
  ['a symlink retargeted', 'ln -sfn keep link'],
  ['an empty directory removed, another made', 'rmdir empty && mkdir fresh'],
  ['files deleted and renamed', 'rm a2/b/c/h && mv keep kept'],
  [
    'a tree moved in from outside the workspace',
    'o=$(mktemp -d) && mkdir -p $o/x/y && printf o > $o/x/y/z && touch -d 2001-01-01 $o/x/y/z && mv $o moved && chmod 755 moved',
  ],
  ['a directory replaced by a file, a file by a directory', 'rm -rf e && printf e > e && rm kept && mkdir -p kept/in && printf k > kept/in/k'],
  ['a file changed twice in one step, a tree deleted', 'printf 1 > twice && printf 2 > twice && rm -rf a2'],
  // A change notification names the directory of the link written through, not the workspace's.
  // (On Docker the workspace is a volume of its own: no link can be made outside it, the file is written directly.)
  ['a hard link outside the workspace', 'printf h > hard && { ln hard "$(dirname "$PWD")/metis-hard-link" 2>/dev/null || true; }'],
  ['a file written through that link', 'out="$(dirname "$PWD")/metis-hard-link"; [[ -f $out && -w $out ]] || out=hard; printf hh >> "$out"'],
  ['a directory replaced by a link to one outside', 'mkdir -p swap/in && printf s > swap/in/s && rm -rf swap && ln -s /etc swap'],
  ['nothing', 'true'],
  // More events than half the kernel's queue (16384): a watch cannot tell whether some were dropped, and hands over to
  // scans of changes.
  ['a directory for them', 'mkdir burst'],
  ['a burst of 9,000 files made', 'cd burst && seq 1 9000 | xargs touch'],
  ['after the burst', 'printf after > burst/1'],
];

/** The steps after which a watched listing is scanned instead: the burst and what follows it. */
const UNWATCHED = new Set(['a burst of 9,000 files made', 'after the burst']);

const comparable = (entries: Iterable<TreeEntry>) =>
  Object.fromEntries(
    [...entries]
      .map(
        (entry) =>
          [
            entry.path,
            `${entry.kind} ${entry.sizeBytes} ${entry.mtimeMs} ${entry.ctimeMs} ${entry.mode.toString(8)} ${entry.inode} ${entry.linkTarget ?? ''}`,
          ] as const,
      )
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );

for (const [driver, mode] of [
  ['local', 'scan'],
  ['local', 'watch'],
  ['docker', 'scan'],
  ['docker', 'watch'],
] as const) {
  describe.skipIf(driver === 'docker' && !hasDocker)(`the incremental workspace listing on the ${driver} driver (${mode})`, () => {
    let rootDir: string;
    let sandbox: Sandbox;
    beforeAll(async () => {
      rootDir = await mkdtemp(join(tmpdir(), 'metis-listing-'));
      const made =
        driver === 'local'
          ? localDriver({ rootDir, onLog: () => undefined })
          : dockerDriver({ image: STOCK_IMAGE, allowedImages: [STOCK_IMAGE], buildDefaultImage: false, owner: 'metisai-test-snapshot-cost' });
      sandbox = await made.create();
    }, 120_000);
    afterAll(async () => {
      await sandbox?.remove();
      await rm(rootDir, { recursive: true, force: true });
    });

    test('equals a whole listing after every kind of change', async () => {
      const root = await sandbox.files.realpath(sandbox.workdir);
      let listing: WorkspaceListing = await refreshListing(sandbox.files, root, undefined, { watch: mode === 'watch' });
      // The server runs on the engine's host as root here: the Docker volume's directory is watched too.
      expect(listing.watch !== undefined).toBe(mode === 'watch');
      for (const [what, command] of STEPS) {
        // Every entry older than the next scan's margin (20 ms here) by the time it runs: a scan that listed only the
        // entries whose ctime moved would miss what lies under a directory moved or replaced.
        const ran = await sandbox.shell.execute({ command: `cd ${root} && ${command} && sleep 0.1` });
        expect(ran.exitCode, `${what}: ${ran.output}`).toBe(0);
        const before = listing;
        listing = await refreshListing(sandbox.files, root, listing, { marginMs: 20 });
        const whole = await sandbox.files.scan(root);
        expect(comparable(listing.entries.values()), what).toEqual(comparable(whole.entries));
        expect(listing.version === before.version, `${what}: version kept`).toBe(what === 'nothing');
        if (mode === 'watch') expect(listing.watch !== undefined, `${what}: still watched`).toBe(!UNWATCHED.has(what));
      }
      // Nothing on the engine's host is listed through the agent's link.
      expect([...listing.entries.keys()].filter((path) => path.startsWith('swap/'))).toEqual([]);
      listing.watch?.close();
      expect(Object.keys(comparable(listing.entries.values()))).toEqual(expect.arrayContaining(['moved/x/y/z', 'kept/in/k', 'e', 'fresh', 'twice', 'link']));
    }, 120_000);

    test('equals a whole listing after changes that race it (the agent working in the background)', async () => {
      const root = `${await sandbox.files.realpath(sandbox.workdir)}/racing`;
      await sandbox.files.mkdir(root);
      let listing: WorkspaceListing = await refreshListing(sandbox.files, root, undefined, { watch: mode === 'watch' });
      expect(listing.watch !== undefined).toBe(mode === 'watch');
      for (const [what, command] of RACING_STEPS) {
        const ran = await sandbox.shell.execute({ command: `cd ${root} && ${command}` });
        expect(ran.exitCode, `${what}: ${ran.output}`).toBe(0);
        // Listed while the background work goes on, and after it ended.
        listing = await refreshListing(sandbox.files, root, listing, { marginMs: 20 });
        const settled = await sandbox.shell.execute({ command: `cd ${root} && wait && sleep 0.1` });
        expect(settled.exitCode).toBe(0);
        listing = await refreshListing(sandbox.files, root, listing, { marginMs: 20 });
        const whole = await sandbox.files.scan(root);
        expect(comparable(listing.entries.values()), what).toEqual(comparable(whole.entries));
        // Nothing is ever listed through the agent's link.
        expect(
          [...listing.entries.keys()].filter((path) => path.startsWith('sd/')),
          what,
        ).toEqual([]);
      }
      // Directories that went away or were swapped for links before their watch was added are looked at again later:
      // the run keeps its change notifications.
      expect(listing.watch !== undefined).toBe(mode === 'watch');
      listing.watch?.close();
      expect(Object.keys(comparable(listing.entries.values()))).toEqual(expect.arrayContaining(['c', 'd3/s/x', 'd3/s/y', 'deep/1/2/3/4/5/f', 'r40/y/z/f']));
    }, 120_000);
  });
}

/**
 * Steps run in the background of the persistent shell (`&`): the listing is brought up to date while they run, then
 * again once they ended (`wait`), and must then equal a whole listing.
 */
const RACING_STEPS: [string, string][] = [
  ['a rename chain of a file and of a directory', 'printf a > a && mv a b && mv b c && mkdir -p d1/s && printf x > d1/s/x && mv d1 d2 && mv d2 d3'],
  [
    'a directory moved out and back in within one step, changed meanwhile',
    'o=$(mktemp -d) && mv d3 "$o/" && printf y > "$o/d3/s/y" && mkdir "$o/d3/t" && printf t > "$o/d3/t/t" && mv "$o/d3" d3 && rmdir "$o"',
  ],
  ['a deep tree', 'mkdir -p deep/1/2/3/4/5 && printf 1 > deep/1/2/3/4/5/f'],
  ['the deep tree removed and made again with the same names', 'rm -rf deep && mkdir -p deep/1/2/3/4/5 && printf 22 > deep/1/2/3/4/5/f'],
  ['directories made unreadable', 'chmod 700 d3 && chmod 0 d3/t deep/1/2'],
  ['and readable again', 'chmod 755 d3 d3/t deep/1/2'],
  ['a file replaced by a fifo', 'rm c && mkfifo c'],
  // Where git is (the local driver's host; the stock image has none): a checkout rewrites, adds and removes files.
  [
    'a git repository with two branches',
    'if command -v git >/dev/null; then g="git -c user.email=t@t -c user.name=t -c init.defaultBranch=one"; mkdir repo && cd repo && $g init -q && mkdir -p s/t && printf 1 > s/t/f && printf a > a && $g add -A && $g commit -qm one && $g checkout -qb two && rm -r s && mkdir -p u/v && printf 2 > u/v/g && printf b > a && $g add -A && $g commit -qm two; fi',
  ],
  ['the other branch checked out', 'if [ -d repo ]; then cd repo && git checkout -q one; fi'],
  ['nested trees made in the background', '(for i in $(seq 1 60); do mkdir -p r$i/y/z && printf f > r$i/y/z/f; done) >/dev/null 2>&1 &'],
  [
    'the nested trees removed in the background, some made again',
    '(rm -rf r1* && for i in $(seq 10 19); do mkdir -p r$i/y/z/w && printf g > r$i/y/z/w/g; done) >/dev/null 2>&1 &',
  ],
  [
    'a directory swapped for a link to /etc in the background, over and over',
    '(for i in $(seq 1 150); do rm -rf sd; mkdir sd; touch sd/x; mkdir sd/in; rm -rf sd; ln -s /etc sd; done) >/dev/null 2>&1 &',
  ],
  ['a background writer after the step returned', '(sleep 0.3; printf late > late; mkdir -p late-dir/in && printf l > late-dir/in/l) >/dev/null 2>&1 &'],
];

/** Python writes through a shared memory mapping; without it the test is skipped, except in CI (.ci/run installs it). */
const hasPython = spawnSync('python3', ['-c', 'import mmap'], { stdio: 'ignore' }).status === 0;
if (!hasPython && process.env.CI) throw new Error('CI is set but python3 is missing: .ci/run installs it.');

describe.skipIf(!hasPython)('a watched listing and writes the kernel does not notify (local driver)', () => {
  let rootDir: string;
  let sandbox: Sandbox;
  beforeAll(async () => {
    rootDir = await mkdtemp(join(tmpdir(), 'metis-listing-mmap-'));
    sandbox = await localDriver({ rootDir, onLog: () => undefined }).create();
  }, 60_000);
  afterAll(async () => {
    await sandbox?.remove();
    await rm(rootDir, { recursive: true, force: true });
  });

  test(`a write through a shared memory mapping shows by the checking scan, at most ${CHECK_SCAN_EVERY} refreshes later`, async () => {
    const root = await sandbox.files.realpath(sandbox.workdir);
    await sandbox.shell.execute({ command: `cd ${root} && printf aaaaaaaa > mapped && sleep 0.2` });
    let listing = await refreshListing(sandbox.files, root);
    expect(listing.watch).toBeDefined();
    const before = listing.entries.get('mapped')!;
    const ran = await sandbox.shell.execute({
      command: `cd ${root} && python3 -c "import mmap
with open('mapped', 'r+b') as f:
    m = mmap.mmap(f.fileno(), 0); m[0:1] = b'z'; m.flush(); m.close()"`,
    });
    expect(ran.exitCode, ran.output).toBe(0);
    const seen: number[] = [];
    for (let i = 0; i < CHECK_SCAN_EVERY; i++) {
      listing = await refreshListing(sandbox.files, root, listing);
      seen.push(listing.entries.get('mapped')!.ctimeMs);
    }
    // inotify said nothing (a write through a mapping is not an event) until the checking scan found the new ctime.
    expect(seen.slice(0, -1).every((ctime) => ctime === before.ctimeMs)).toBe(true);
    expect(seen.at(-1)).toBeGreaterThan(before.ctimeMs);
    const whole = await sandbox.files.scan(root);
    expect(comparable(listing.entries.values())).toEqual(comparable(whole.entries));
    expect(listing.watch).toBeDefined();
    listing.watch?.close();
  });
});
