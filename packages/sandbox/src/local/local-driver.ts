import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_OWNER, type Sandbox, type SandboxInfo } from '../sandbox.ts';
import { SandboxNotFoundError } from '../errors.ts';
import { HostFileSystem } from '../files/host-file-system.ts';
import {
  type AttachedFiles,
  type ConnectSandboxOptions,
  type CreateSandboxOptions,
  reapWith,
  type SandboxDriver,
  type SandboxDriverOptions,
  type SandboxListFilter,
} from '../sandbox-driver.ts';
import { assertLocalNetwork, LOCAL_ID_PATTERN, LocalSandbox, type LocalSettings, readRecord, removeLocalSandbox, toInfo } from './local-sandbox.ts';
import type { PtyHelper } from './local-shell-transport.ts';

export interface LocalDriverOptions extends SandboxDriverOptions {
  /** Where sandboxes live, one directory each (default `<tmpdir>/metisai-sandboxes`). */
  rootDir?: string;
  /** Program that gives bash a pty (default `script` on Linux, `python` elsewhere). */
  ptyHelper?: PtyHelper;
}

const WARNING =
  '[sandbox] The local sandbox driver runs agent commands directly on this host as your user, without isolation or limits: use it for development only.';

/**
 * The local driver: each sandbox is bash and its children in `<rootDir>/<id>/workspace` on this host, for
 * development without Docker. No isolation at all, which it says once through `onLog` (default `console.warn`)
 * on its first `create` or `connect`. `create` ignores `image` and `workspace`; a `network` other than `egress` is
 * refused (`InvalidArgumentError`): it cannot fence the host's network.
 */
export function localDriver(options: LocalDriverOptions = {}): SandboxDriver {
  const settings: LocalSettings = { rootDir: options.rootDir ?? join(tmpdir(), 'metisai-sandboxes'), ptyHelper: options.ptyHelper, shell: options.shell };
  const owner = options.owner ?? DEFAULT_OWNER;
  let hasWarned = false;
  const warnOnce = () => {
    if (hasWarned) return;
    hasWarned = true;
    if (options.onLog) options.onLog(WARNING);
    else console.warn(WARNING);
  };

  const driver: SandboxDriver = {
    name: 'local',
    isOwnId: (id) => LOCAL_ID_PATTERN.test(id),
    owner,
    imageBuild: null,

    create(create: CreateSandboxOptions = {}): Promise<Sandbox> {
      warnOnce();
      return LocalSandbox.create({ ...settings, owner }, create);
    },

    async connect(id: string, connect: ConnectSandboxOptions = {}): Promise<Sandbox> {
      assertLocalNetwork(connect.network);
      warnOnce();
      return LocalSandbox.connect(id, settings);
    },

    async list(filter: SandboxListFilter = {}): Promise<SandboxInfo[]> {
      const names = await readdir(settings.rootDir).catch(() => [] as string[]);
      const infos: SandboxInfo[] = [];
      for (const name of names.filter((n) => LOCAL_ID_PATTERN.test(n))) {
        const record = await readRecord(join(settings.rootDir, name));
        if (record && (!filter.owner || record.owner === filter.owner)) infos.push(toInfo(record, join(settings.rootDir, name)));
      }
      return infos;
    },

    reap: (reap) => reapWith(driver, reap),

    async remove(id: string): Promise<void> {
      if (!LOCAL_ID_PATTERN.test(id)) return;
      const dir = join(settings.rootDir, id);
      if (!(await readRecord(dir))) return;
      await removeLocalSandbox(id, dir);
    },

    async attachFiles(id: string): Promise<AttachedFiles> {
      if (!LOCAL_ID_PATTERN.test(id)) throw new SandboxNotFoundError(id);
      const dir = join(settings.rootDir, id);
      if (!(await readRecord(dir))) throw new SandboxNotFoundError(id);
      return { id, workdir: join(dir, 'workspace'), workspace: id, files: new HostFileSystem() };
    },

    // A local sandbox's files live in its own directory and go with it.
    removeWorkspace: async () => undefined,
  };
  return driver;
}
