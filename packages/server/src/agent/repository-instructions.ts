import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { SandboxFiles } from '@metisai/sandbox';
import type { Event, InstructionFile } from '@metisai/sdk/schemas';
import { insideWorkspace } from '../workspaces/workspace-path.ts';

/**
 * Files at the workspace root whose content joins the system prompt, in this order: `AGENTS.md` (the agents.md
 * convention) and, as OpenHands reads it, `.openhands/microagents/repo.md`.
 */
export const INSTRUCTION_FILES = ['AGENTS.md', '.openhands/microagents/repo.md'] as const;

/** Bytes of one instruction file loaded; the rest is left out, with a marker saying so. */
export const INSTRUCTIONS_MAX_BYTES = 16 * 1024;

/** An instruction file as loaded: what the event lists, and the text the system prompt gets. */
export interface LoadedInstructions extends InstructionFile {
  /** The file's first `INSTRUCTIONS_MAX_BYTES` as UTF-8 (cut at a character boundary), with the marker when cut. */
  content: string;
}

/** The first `maxBytes` of a stream (and whether there was more), reading no further. */
async function readHead(stream: NodeJS.ReadableStream & { destroy(): void }, maxBytes: number): Promise<{ head: Buffer; isCut: boolean }> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      length += chunk.length;
      if (length > maxBytes) break;
    }
  } finally {
    stream.destroy();
  }
  const all = Buffer.concat(chunks);
  return { head: all.subarray(0, maxBytes), isCut: all.length > maxBytes };
}

/** `bytes` without a UTF-8 sequence cut at its end. */
function wholeCharacters(bytes: Buffer): Buffer {
  let end = bytes.length;
  // Step back over continuation bytes (10xxxxxx) to the start of the last sequence, and drop it if it is incomplete.
  let start = end - 1;
  while (start >= 0 && start > end - 4 && (bytes[start]! & 0xc0) === 0x80) start--;
  if (start >= 0) {
    const lead = bytes[start]!;
    const needed = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    if (end - start < needed) end = start;
  }
  return bytes.subarray(0, end);
}

/**
 * The repository's instructions for agents in the workspace root (see `INSTRUCTION_FILES`), read through the sandbox's
 * files: regular files (a link is followed only while it stays inside the workspace), at most `INSTRUCTIONS_MAX_BYTES`
 * each — a longer one is cut and ends with a marker line. A file that is missing or cannot be read is left out.
 */
export async function loadRepositoryInstructions(files: SandboxFiles, workdir: string): Promise<LoadedInstructions[]> {
  const loaded: LoadedInstructions[] = [];
  let root: string;
  try {
    root = await files.realpath(workdir);
  } catch {
    return loaded;
  }
  for (const name of INSTRUCTION_FILES) {
    try {
      const target = await files.realpath(posix.join(workdir, name));
      if (!insideWorkspace(root, target)) continue;
      const info = await files.lstat(target);
      if (info?.kind !== 'file') continue;
      const { head, isCut } = await readHead(await files.readFileStream(target), INSTRUCTIONS_MAX_BYTES);
      const kept = isCut ? wholeCharacters(head) : head;
      const text = kept.toString('utf8');
      const content = isCut
        ? `${text}\n[… truncated: ${name} is ${info.sizeBytes} bytes; only its first ${INSTRUCTIONS_MAX_BYTES / 1024} KiB are loaded]`
        : text;
      loaded.push({ path: name, size: info.sizeBytes, truncated: isCut, sha256: createHash('sha256').update(kept).digest('hex'), content });
    } catch {
      // Unreadable (gone meanwhile, a special file): not loaded.
    }
  }
  return loaded;
}

/**
 * Whether what a run loaded differs from what the last `workspace` / `instructions` event of the history listed (by
 * path, size and hash); with no such event, whether anything was loaded at all.
 */
export function instructionsChanged(history: readonly Event[], loaded: readonly InstructionFile[]): boolean {
  const last = history.findLast((event) => event.type === 'workspace' && event.phase === 'instructions');
  const before = last?.type === 'workspace' ? (last.instructions ?? []) : [];
  const key = (files: readonly InstructionFile[]) => JSON.stringify(files.map(({ path, size, sha256 }) => [path, size, sha256]));
  return key(before) !== key(loaded);
}
