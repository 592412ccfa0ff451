import { posix } from 'node:path';
import type { FullOutput } from './output-collector.ts';

/** Where the shell saves full outputs that did not fit in an observation. */
export interface FullOutputTarget {
  /** Absolute directory inside the sandbox, outside the workdir (created on first use). */
  dir: string;
  /** The sandbox's own file access: the file is written by it, never by the user's command. */
  files: {
    writeFile(path: string, data: Uint8Array | string): Promise<void>;
    remove?(path: string): Promise<void>;
  };
}

export type SavedOutput = { path: string; lines: number; bytes: number; isComplete: boolean } | { error: string };

/** How many full-output files one shell keeps; older ones are deleted (when the files API can delete). */
export const MAX_SAVED_OUTPUTS = 20;

/**
 * Saves full outputs as `<dir>/<session>-<command id>[-<n>].txt` (the n-th observation of one
 * command that needed a file), keeping the newest `MAX_SAVED_OUTPUTS`.
 */
export class FullOutputStore {
  private readonly target: FullOutputTarget;
  private readonly session: string;
  private readonly perCommand = new Map<number, number>();
  private readonly saved: string[] = [];

  constructor(target: FullOutputTarget, session: string) {
    this.target = target;
    this.session = session;
  }

  async save(commandId: number, full: FullOutput): Promise<SavedOutput> {
    const count = (this.perCommand.get(commandId) ?? 0) + 1;
    this.perCommand.set(commandId, count);
    const path = posix.join(this.target.dir, `${this.session}-${commandId}${count > 1 ? `-${count}` : ''}.txt`);
    const data = full.data;
    try {
      await this.target.files.writeFile(path, data);
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
    this.saved.push(path);
    this.prune();
    return { path, lines: full.lines, bytes: data.byteLength, isComplete: full.isComplete };
  }

  private prune(): void {
    const remove = this.target.files.remove?.bind(this.target.files);
    while (this.saved.length > MAX_SAVED_OUTPUTS) {
      const oldest = this.saved.shift();
      if (oldest && remove) remove(oldest).catch(() => undefined);
    }
  }
}
