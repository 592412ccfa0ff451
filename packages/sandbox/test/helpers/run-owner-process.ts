import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface OwnedSandbox {
  id: string;
  workdir: string;
  jobPid: string;
}

const fixture = fileURLToPath(new URL('../fixtures/own-sandbox.ts', import.meta.url));

/** Runs the owner fixture in a separate Node process until it has reported, then SIGKILLs it. */
export async function runAndKillOwner(driver: 'docker' | 'local', where: string): Promise<OwnedSandbox> {
  const child = spawn(process.execPath, [fixture, driver, where], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    once(lines, 'line').then(([line]) => line as string),
    exited.then(([code]) => {
      throw new Error(`The owner process exited (${code}) before reporting:\n${stderr}`);
    }),
  ]);
  child.kill('SIGKILL');
  await exited;
  lines.close();
  return JSON.parse(first) as OwnedSandbox;
}
