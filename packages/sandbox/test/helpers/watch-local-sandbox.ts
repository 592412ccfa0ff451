import { type FSWatcher, watch } from 'node:fs';
import { join } from 'node:path';
import type { SandboxWatch } from '../suites/driver-suite.ts';

/**
 * Watches a local sandbox's directory (its record) and its shell's state directory (`home/.metisai`, written at
 * every prompt) until both files are deleted; answers the writes seen before, as `<file> written`. A connect
 * rewrites the record, and a shell writes its state as soon as it starts.
 */
export async function watchLocalSandbox(sandboxDir: string): Promise<SandboxWatch> {
  const watchers: FSWatcher[] = [];
  const seen: string[] = [];
  const deleted = (dir: string, file: string) =>
    new Promise<void>((resolve, reject) => {
      const watcher = watch(dir, (type, name) => {
        if (name !== file) return;
        if (type === 'change') seen.push(`${file} written`);
        else resolve();
      });
      watcher.on('error', reject);
      watchers.push(watcher);
    });
  const gone = Promise.all([deleted(sandboxDir, 'sandbox.json'), deleted(join(sandboxDir, 'home', '.metisai'), 'shell-state')]);
  return {
    async untilGone() {
      try {
        await gone;
      } finally {
        for (const watcher of watchers) watcher.close();
      }
      return seen;
    },
  };
}
