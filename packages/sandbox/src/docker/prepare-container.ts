import type Docker from 'dockerode';
import { SandboxError } from '../errors.ts';
import { buildTar, readFirstTarEntry, type TarEntryInput, TarEntryTooLargeError } from '../files/tar-archive.ts';
import { statusOf } from './docker-client.ts';

export const SANDBOX_UID = 1000;
const SANDBOX_USER_NAME = 'metis';

/**
 * Largest `/etc/passwd` or `/etc/group` read from an image (1 MiB; real ones are a few KiB): an image may be anyone's,
 * and what it holds is read into the server's memory.
 */
export const MAX_IMAGE_FILE_BYTES = 1024 * 1024;

async function readContainerFile(container: Docker.Container, path: string): Promise<string | null> {
  try {
    const entry = await readFirstTarEntry(await container.getArchive({ path }), { maxBytes: MAX_IMAGE_FILE_BYTES });
    return entry ? entry.data.toString('utf8') : null;
  } catch (err) {
    if (statusOf(err) === 404) return null;
    if (err instanceof TarEntryTooLargeError) {
      throw new SandboxError(`The image's ${path} is ${err.sizeBytes} bytes, more than the ${err.maxBytes} bytes read from an image at most`, { cause: err });
    }
    throw err;
  }
}

const withNewline = (text: string) => (text === '' || text.endsWith('\n') ? text : `${text}\n`);

/**
 * Prepares a created (not yet started) container of any image, without running anything as root
 * inside it: through the Docker archive API it adds a user with uid/gid 1000 to /etc/passwd and
 * /etc/group when the image has none (with a home directory), and creates the work directory
 * owned by the sandbox user.
 */
export async function prepareContainer(container: Docker.Container, options: { workdir: string; asRoot: boolean }): Promise<void> {
  const entries: TarEntryInput[] = [];
  if (!options.asRoot) {
    const [passwd, group] = await Promise.all([readContainerFile(container, '/etc/passwd'), readContainerFile(container, '/etc/group')]);
    const hasUser = (passwd ?? '').split('\n').some((line) => line.split(':')[2] === String(SANDBOX_UID));
    const hasGroup = (group ?? '').split('\n').some((line) => line.split(':')[2] === String(SANDBOX_UID));
    if (!hasUser) {
      const home = `/home/${SANDBOX_USER_NAME}`;
      const line = `${SANDBOX_USER_NAME}:x:${SANDBOX_UID}:${SANDBOX_UID}:MetisAI sandbox:${home}:/bin/bash\n`;
      entries.push({ name: 'etc/passwd', type: 'file', mode: 0o644, data: Buffer.from(withNewline(passwd ?? 'root:x:0:0:root:/root:/bin/bash\n') + line) });
      entries.push({ name: `${home.slice(1)}/`, type: 'directory', mode: 0o755 });
    }
    if (!hasGroup) {
      entries.push({
        name: 'etc/group',
        type: 'file',
        mode: 0o644,
        data: Buffer.from(`${withNewline(group ?? 'root:x:0:\n')}${SANDBOX_USER_NAME}:x:${SANDBOX_UID}:\n`),
      });
    }
  }
  entries.push({ name: `${options.workdir.replace(/^\/+/, '')}/`, type: 'directory', mode: 0o755 });
  // The passwd and group files belong to root; the directories to the sandbox user.
  const owner = options.asRoot ? 0 : SANDBOX_UID;
  const owned = entries.map((entry) => (entry.type === 'file' ? { ...entry, owner: { uid: 0, gid: 0 } } : entry));
  await container.putArchive(await buildTar(owned, { uid: owner, gid: owner }), { path: '/' });
}
