import { turns } from '@metisai/scripted-llm';

/**
 * A bash command that prints the workspace as a sha256 manifest between markers: every entry with its kind, permission
 * bits and path; files with the sha256 of their bytes, symlinks with their target. Empty directories, the executable
 * bit, links and deleted files all show. It reads and writes nothing in the workspace.
 */
export const MANIFEST = `echo '<<manifest'; find . -mindepth 1 \\( -type f -printf '%y %m %p ' -exec sh -c 'sha256sum < "$1" | cut -d" " -f1' _ {} \\; \\) -o \\( ! -type f -printf '%y %m %p %l\\n' \\) | LC_ALL=C sort; echo 'manifest>>'`;

/** The manifest `MANIFEST` printed, out of an observation's content. Throws when there is none. */
export const manifestIn = (content: string): string => {
  const match = /<<manifest\n([\s\S]*?)manifest>>/.exec(content);
  if (!match) throw new Error(`no manifest in: ${content}`);
  return match[1]!;
};

/** Scripted LLM turns: an `execute_bash` call of `command`, and `finish`. */
export const bash = (command: string) => () => turns.toolCall('execute_bash', { command });
export const finish = () => turns.toolCall('finish', { message: 'done' });
