import { posix } from 'node:path';
import type Docker from 'dockerode';
import { InvalidArgumentError, IsDirectoryError, NotDirectoryError, SandboxError, SandboxFileNotFoundError } from '../errors.ts';
import { extractToDirectory } from '../files/extract-directory.ts';
import { packDirectory } from '../files/pack-directory.ts';
import { buildTar, readFirstTarEntry, type TarOwner } from '../files/tar-archive.ts';
import type { DirEntry, FileKind, FileStat, SandboxFiles } from '../sandbox.ts';
import { statusOf } from './docker-client.ts';
import { execCommand } from './exec-command.ts';

/** What `HEAD /containers/{id}/archive` reports (Go's `os.FileMode` in `mode`). */
interface PathStat {
  name: string;
  size: number;
  mode: number;
  linkTarget: string;
}

const MODE_DIR = 0x80000000;
const MODE_SYMLINK = 1 << 27;
// Every type bit of Go's FileMode: dir, append, exclusive, temporary, symlink, device, pipe, socket, setuid…, char device, sticky, irregular.
const MODE_TYPE = 0x80000000 | (1 << 27) | (1 << 26) | (1 << 25) | (1 << 24) | (1 << 21) | (1 << 19);
const MAX_LINKS = 16;

const kindOf = (mode: number): FileKind => {
  const bits = mode >>> 0;
  if (bits & MODE_DIR) return 'directory';
  return (bits & MODE_TYPE) === 0 ? 'file' : 'other';
};

function absolute(path: string): string {
  if (!posix.isAbsolute(path)) throw new InvalidArgumentError(`Sandbox paths must be absolute, got: ${path}`);
  return posix.normalize(path);
}

// Lists a directory as the sandbox user: "<kind>\t<name>\0" per entry; exit 3 missing, 4 not a directory.
const READ_DIR_SCRIPT = `[[ -e $1 ]] || exit 3; [[ -d $1 ]] || exit 4; cd -- "$1" || exit 5
shopt -s dotglob nullglob
for f in *; do if [[ -d $f ]]; then t=directory; elif [[ -f $f ]]; then t=file; else t=other; fi; printf '%s\\t%s\\0' "$t" "$f"; done`;

/**
 * `SandboxFiles` through the Docker archive API (tar over HTTP), so it works whatever the agent's
 * shell is doing. Written files and created directories belong to the sandbox user.
 */
export class DockerFiles implements SandboxFiles {
  private readonly container: Docker.Container;
  private readonly user: string;
  private readonly owner: TarOwner;

  constructor(container: Docker.Container, options: { user: string; owner: TarOwner }) {
    this.container = container;
    this.user = options.user;
    this.owner = options.owner;
  }

  async stat(path: string): Promise<FileStat | null> {
    const found = await this.resolve(absolute(path));
    return found ? { kind: kindOf(found.stat.mode), sizeBytes: found.stat.size } : null;
  }

  async readFile(path: string): Promise<Uint8Array> {
    const wanted = absolute(path);
    const found = await this.resolve(wanted);
    if (!found) throw new SandboxFileNotFoundError(wanted);
    if (kindOf(found.stat.mode) === 'directory') throw new IsDirectoryError(wanted);
    const entry = await readFirstTarEntry(await this.container.getArchive({ path: found.path }));
    if (!entry) throw new SandboxFileNotFoundError(wanted);
    return new Uint8Array(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength);
  }

  async writeFile(path: string, data: Uint8Array | string): Promise<void> {
    const wanted = absolute(path);
    if (wanted === '/') throw new IsDirectoryError(wanted);
    const found = await this.resolve(wanted);
    if (found && kindOf(found.stat.mode) === 'directory') throw new IsDirectoryError(wanted);
    const target = found?.path ?? wanted;
    const parent = posix.dirname(target);
    if (!found) await this.ensureDirectory(parent);
    // Keep the permission bits of a file being replaced (an executable stays executable).
    const mode = found ? found.stat.mode & 0o7777 : 0o644;
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const archive = await buildTar([{ name: posix.basename(target), type: 'file', mode, data: bytes }], this.owner);
    await this.container.putArchive(archive, { path: parent });
  }

  async readDir(path: string): Promise<DirEntry[]> {
    const wanted = absolute(path);
    const result = await execCommand(this.container, ['bash', '-c', READ_DIR_SCRIPT, 'read-dir', wanted], { user: this.user });
    if (result.exitCode === 3) throw new SandboxFileNotFoundError(wanted);
    if (result.exitCode === 4) throw new NotDirectoryError(wanted);
    if (result.exitCode !== 0) throw new SandboxError(`Cannot list ${wanted}: ${result.stderr.toString('utf8').trim() || `exit code ${result.exitCode}`}`);
    return result.stdout
      .toString('utf8')
      .split('\0')
      .filter((record) => record !== '')
      .map((record) => {
        const tab = record.indexOf('\t');
        return { kind: record.slice(0, tab) as FileKind, name: record.slice(tab + 1) };
      });
  }

  async uploadDir(hostDir: string, sandboxDir: string): Promise<void> {
    const target = absolute(sandboxDir);
    await this.ensureDirectory(target);
    await this.container.putArchive(packDirectory(hostDir, this.owner) as unknown as NodeJS.ReadableStream, { path: target });
  }

  async downloadDir(sandboxDir: string, hostDir: string): Promise<void> {
    const wanted = absolute(sandboxDir);
    const found = await this.resolve(wanted);
    if (!found) throw new SandboxFileNotFoundError(wanted);
    if (kindOf(found.stat.mode) !== 'directory') throw new NotDirectoryError(wanted);
    // The archive's entries start with the directory's own name; drop it.
    await extractToDirectory(await this.container.getArchive({ path: found.path }), hostDir, 1);
  }

  /** Deletes a file (not a directory) as the sandbox user; nothing happens when it is already gone. */
  async remove(path: string): Promise<void> {
    const wanted = absolute(path);
    const result = await execCommand(this.container, ['rm', '-f', '--', wanted], { user: this.user });
    if (result.exitCode !== 0) throw new SandboxError(`Cannot remove ${wanted}: ${result.stderr.toString('utf8').trim()}`);
  }

  /** Creates `path` and its missing parents, owned by the sandbox user; existing directories are left alone. */
  async ensureDirectory(path: string): Promise<void> {
    const missing: string[] = [];
    let current = absolute(path);
    for (;;) {
      const found = await this.resolve(current);
      if (found) {
        if (kindOf(found.stat.mode) !== 'directory') throw new NotDirectoryError(current);
        current = found.path;
        break;
      }
      missing.unshift(posix.basename(current));
      current = posix.dirname(current);
    }
    if (missing.length === 0) return;
    const entries = missing.map((_, i) => ({ name: `${missing.slice(0, i + 1).join('/')}/`, type: 'directory' as const, mode: 0o755 }));
    await this.container.putArchive(await buildTar(entries, this.owner), { path: current });
  }

  private async rawStat(path: string): Promise<PathStat | null> {
    try {
      const response = (await this.container.infoArchive({ path })) as NodeJS.ReadableStream & { headers: Record<string, string | undefined> };
      response.resume();
      const header = response.headers['x-docker-container-path-stat'];
      if (!header) throw new SandboxError(`The Docker engine sent no stat for ${path}`);
      return JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as PathStat;
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
  }

  /** Follows symlinks (the engine reports each link's absolute target) up to a limit. */
  private async resolve(path: string): Promise<{ path: string; stat: PathStat } | null> {
    let current = path;
    for (let hop = 0; hop < MAX_LINKS; hop++) {
      const stat = await this.rawStat(current);
      if (!stat) return null;
      if (!((stat.mode >>> 0) & MODE_SYMLINK) || !stat.linkTarget) return { path: current, stat };
      current = stat.linkTarget;
    }
    throw new SandboxError(`Too many levels of symbolic links: ${path}`);
  }
}
