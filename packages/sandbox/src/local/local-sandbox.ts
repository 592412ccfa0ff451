import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createEditor } from '../editor/index.ts';
import { InvalidArgumentError, SandboxNotFoundError } from '../errors.ts';
import { HostFileSystem } from '../files/host-file-system.ts';
import { DEFAULT_OWNER, type Editor, type ReapOptions, type Sandbox, type SandboxCommonOptions, type SandboxInfo, type ShellOptions } from '../sandbox.ts';
import { BashSession } from '../shell/bash-session.ts';
import { killSandboxProcesses } from './kill-sandbox-processes.ts';
import { openLocalShell, type PtyHelper } from './local-shell-transport.ts';

export interface LocalSandboxOptions extends SandboxCommonOptions {
  /** Where sandboxes live, one directory each (default `METISAI_LOCAL_SANDBOX_DIR` or `<tmpdir>/metisai-sandboxes`). */
  rootDir?: string;
  /** Program that gives bash a pty (default `script` on Linux, `python` elsewhere). */
  ptyHelper?: PtyHelper;
}

export interface LocalConnectOptions {
  rootDir?: string;
  ptyHelper?: PtyHelper;
  shell?: ShellOptions;
  onLog?: (line: string) => void;
}

export interface LocalListOptions {
  rootDir?: string;
  owner?: string;
}

interface LocalSandboxRecord {
  id: string;
  owner: string;
  conversationId: string | null;
  labels: Record<string, string>;
  createdAt: string;
  state: 'running' | 'stopped';
}

const RECORD_FILE = 'sandbox.json';
const ID_PATTERN = /^local-[0-9a-f]{12}$/;

export const localRootDir = (rootDir?: string): string => rootDir ?? process.env.METISAI_LOCAL_SANDBOX_DIR ?? join(tmpdir(), 'metisai-sandboxes');

let hasWarned = false;
function warnOnce(onLog: ((line: string) => void) | undefined): void {
  if (hasWarned) return;
  hasWarned = true;
  const message = '[sandbox] LocalSandbox runs agent commands directly on this host as your user, without isolation or limits: use it for development only.';
  if (onLog) onLog(message);
  else console.warn(message);
}

async function readRecord(dir: string): Promise<LocalSandboxRecord | null> {
  try {
    return JSON.parse(await readFile(join(dir, RECORD_FILE), 'utf8')) as LocalSandboxRecord;
  } catch {
    return null;
  }
}

const writeRecord = (dir: string, record: LocalSandboxRecord) => writeFile(join(dir, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);

function toInfo(record: LocalSandboxRecord, dir: string): SandboxInfo {
  return {
    id: record.id,
    driver: 'local',
    state: record.state,
    image: null,
    owner: record.owner,
    conversationId: record.conversationId,
    labels: record.labels,
    createdAt: new Date(record.createdAt),
    workdir: join(dir, 'workspace'),
  };
}

/**
 * Child processes in a per-sandbox directory on this host (`<rootDir>/<id>/workspace`), for
 * development without Docker. Same shell, files and editor as Docker; no isolation at all.
 */
export class LocalSandbox implements Sandbox {
  readonly driver = 'local' as const;
  readonly id: string;
  readonly workdir: string;
  readonly shell: BashSession;
  readonly files: HostFileSystem;
  readonly editor: Editor;
  private readonly dir: string;

  private constructor(id: string, dir: string, env: Record<string, string>, options: { ptyHelper?: PtyHelper; shell?: ShellOptions }) {
    this.id = id;
    this.dir = dir;
    this.workdir = join(dir, 'workspace');
    this.files = new HostFileSystem();
    this.editor = createEditor(this.files, { workdir: this.workdir });
    const user = userInfo();
    const baseEnv: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: join(dir, 'home'),
      USER: user.username,
      LOGNAME: user.username,
      LANG: 'C.UTF-8',
      METISAI_SANDBOX_ID: id,
    };
    this.shell = new BashSession({
      ...options.shell,
      workdir: this.workdir,
      env,
      open: openLocalShell({ cwd: this.workdir, baseEnv, ptyHelper: options.ptyHelper }),
      beforeStart: async () => {
        await mkdir(this.workdir, { recursive: true });
      },
      // Beside the workspace, not in it: <rootDir>/<id>/output.
      fullOutput: { dir: join(dir, 'output'), files: this.files },
    });
  }

  static async create(options: LocalSandboxOptions = {}): Promise<LocalSandbox> {
    warnOnce(options.onLog);
    const id = `local-${randomBytes(6).toString('hex')}`;
    const dir = join(localRootDir(options.rootDir), id);
    await mkdir(join(dir, 'workspace'), { recursive: true });
    await mkdir(join(dir, 'home'), { recursive: true, mode: 0o700 });
    const labels: Record<string, string> = { ...options.labels };
    await writeRecord(dir, {
      id,
      owner: options.owner ?? DEFAULT_OWNER,
      conversationId: options.conversationId ?? null,
      labels,
      createdAt: new Date().toISOString(),
      state: 'running',
    });
    const sandbox = new LocalSandbox(id, dir, options.env ?? {}, options);
    try {
      await sandbox.shell.start();
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    return sandbox;
  }

  /** A new shell for an existing local sandbox, with the last cwd and exported environment restored. */
  static async connect(id: string, options: LocalConnectOptions = {}): Promise<LocalSandbox> {
    if (!ID_PATTERN.test(id)) throw new InvalidArgumentError(`Not a local sandbox id: ${id}`);
    warnOnce(options.onLog);
    const dir = join(localRootDir(options.rootDir), id);
    const record = await readRecord(dir);
    if (!record) throw new SandboxNotFoundError(id);
    if (record.state !== 'running') await writeRecord(dir, { ...record, state: 'running' });
    const sandbox = new LocalSandbox(id, dir, {}, options);
    await sandbox.shell.start();
    return sandbox;
  }

  static async list(options: LocalListOptions = {}): Promise<SandboxInfo[]> {
    const root = localRootDir(options.rootDir);
    const names = await readdir(root).catch(() => [] as string[]);
    const infos: SandboxInfo[] = [];
    for (const name of names.filter((n) => ID_PATTERN.test(n))) {
      const record = await readRecord(join(root, name));
      if (record && (!options.owner || record.owner === options.owner)) infos.push(toInfo(record, join(root, name)));
    }
    return infos;
  }

  static async reap(options: ReapOptions & { rootDir?: string }): Promise<string[]> {
    const keep =
      typeof options.keep === 'function'
        ? options.keep
        : (
            (ids: Set<string>) => (info: SandboxInfo) =>
              ids.has(info.id)
          )(new Set(options.keep));
    const removed: string[] = [];
    for (const info of await LocalSandbox.list({ rootDir: options.rootDir, owner: options.owner })) {
      if (keep(info)) continue;
      await killSandboxProcesses(info.id);
      await rm(join(localRootDir(options.rootDir), info.id), { recursive: true, force: true });
      removed.push(info.id);
    }
    return removed;
  }

  setEnv(vars: Record<string, string>): Promise<void> {
    return this.shell.setEnv(vars);
  }

  async info(): Promise<SandboxInfo> {
    const record = await readRecord(this.dir);
    if (!record) throw new SandboxNotFoundError(this.id);
    return toInfo(record, this.dir);
  }

  async disconnect(): Promise<void> {
    await this.shell.close();
  }

  async stop(): Promise<void> {
    await this.shell.close();
    await killSandboxProcesses(this.id);
    const record = await readRecord(this.dir);
    if (record) await writeRecord(this.dir, { ...record, state: 'stopped' });
  }

  async remove(): Promise<void> {
    await this.shell.close();
    await killSandboxProcesses(this.id);
    await rm(this.dir, { recursive: true, force: true });
  }
}
