import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { createEditor } from '../editor/index.ts';
import { InvalidArgumentError, SandboxNotFoundError } from '../errors.ts';
import { DOCKER_WORKDIR } from '../docker/container-info.ts';
import { HostFileSystem } from '../files/host-file-system.ts';
import type { Editor, NetworkPolicy, Sandbox, SandboxInfo, ShellOptions } from '../sandbox.ts';
import type { CreateSandboxOptions } from '../sandbox-driver.ts';
import { BashSession } from '../shell/bash-session.ts';
import { killSandboxProcesses } from './kill-sandbox-processes.ts';
import { openLocalShell, type PtyHelper } from './local-shell-transport.ts';

/** What the local driver hands a sandbox it creates or connects to. */
export interface LocalSettings {
  /** Where sandboxes live, one directory each. */
  rootDir: string;
  ptyHelper: PtyHelper | undefined;
  shell: ShellOptions | undefined;
}

export interface LocalSandboxRecord {
  id: string;
  owner: string;
  conversationId: string | null;
  labels: Record<string, string>;
  createdAt: string;
  state: 'running' | 'stopped';
}

const RECORD_FILE = 'sandbox.json';

/** The local driver runs on this host's network: it can promise nothing, so it accepts only the default policy. */
export function assertLocalNetwork(policy: NetworkPolicy | undefined): void {
  if (policy === undefined || policy === 'egress') return;
  throw new InvalidArgumentError(
    `The local sandbox driver cannot enforce the network policy "${policy}" (its commands use this host's network): use the Docker driver`,
  );
}
/** Ids of local sandboxes; only these name directories the driver reads or deletes. */
export const LOCAL_ID_PATTERN = /^local-[0-9a-f]{12}$/;

export async function readRecord(dir: string): Promise<LocalSandboxRecord | null> {
  try {
    return JSON.parse(await readFile(join(dir, RECORD_FILE), 'utf8')) as LocalSandboxRecord;
  } catch {
    return null;
  }
}

const writeRecord = (dir: string, record: LocalSandboxRecord) => writeFile(join(dir, RECORD_FILE), `${JSON.stringify(record, null, 2)}\n`);

/** Ends every process of the sandbox and deletes its directory; starts nothing. */
export async function removeLocalSandbox(id: string, dir: string): Promise<void> {
  await killSandboxProcesses(id);
  await rm(dir, { recursive: true, force: true });
}

export function toInfo(record: LocalSandboxRecord, dir: string): SandboxInfo {
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
    workspace: record.id,
  };
}

/**
 * Child processes in a per-sandbox directory on this host (`<rootDir>/<id>/workspace`), for
 * development without Docker. Same shell, files and editor as Docker; no isolation at all.
 * Made by the local driver (`localDriver().create()`).
 */
export class LocalSandbox implements Sandbox {
  readonly driver = 'local' as const;
  /** Nominal: the host's network, unfenced (see `assertLocalNetwork`). */
  readonly network = 'egress' as const;
  readonly id: string;
  readonly workdir: string;
  readonly workspace: string;
  readonly shell: BashSession;
  readonly files: HostFileSystem;
  readonly editor: Editor;
  private readonly dir: string;

  private constructor(id: string, dir: string, env: Record<string, string>, options: LocalSettings) {
    this.id = id;
    this.dir = dir;
    this.workdir = join(dir, 'workspace');
    this.workspace = id;
    this.files = new HostFileSystem();
    this.editor = createEditor(this.files, { workdir: this.workdir, workspaceAlias: DOCKER_WORKDIR });
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

  /** Creates the sandbox's directories and record, and starts its shell; a failure removes them. */
  static async create(settings: LocalSettings & { owner: string }, options: CreateSandboxOptions = {}): Promise<LocalSandbox> {
    assertLocalNetwork(options.network);
    const id = `local-${randomBytes(6).toString('hex')}`;
    const dir = join(settings.rootDir, id);
    await mkdir(join(dir, 'workspace'), { recursive: true });
    await mkdir(join(dir, 'home'), { recursive: true, mode: 0o700 });
    await writeRecord(dir, {
      id,
      owner: settings.owner,
      conversationId: options.conversationId ?? null,
      labels: { ...options.labels },
      createdAt: new Date().toISOString(),
      state: 'running',
    });
    const sandbox = new LocalSandbox(id, dir, options.env ?? {}, settings);
    try {
      await sandbox.shell.start();
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    return sandbox;
  }

  /** A new shell for an existing local sandbox, with the last cwd and exported environment restored. */
  static async connect(id: string, settings: LocalSettings): Promise<LocalSandbox> {
    if (!LOCAL_ID_PATTERN.test(id)) throw new SandboxNotFoundError(id);
    const dir = join(settings.rootDir, id);
    const record = await readRecord(dir);
    if (!record) throw new SandboxNotFoundError(id);
    if (record.state !== 'running') await writeRecord(dir, { ...record, state: 'running' });
    const sandbox = new LocalSandbox(id, dir, {}, settings);
    await sandbox.shell.start();
    return sandbox;
  }

  setEnv(vars: Record<string, string>): Promise<void> {
    return this.shell.setEnv(vars);
  }

  async setNetwork(policy: NetworkPolicy): Promise<void> {
    assertLocalNetwork(policy);
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
    await removeLocalSandbox(this.id, this.dir);
  }
}
