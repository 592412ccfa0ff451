import { readdir, readFile } from 'node:fs/promises';

/**
 * Ends every process on this host that carries `METISAI_SANDBOX_ID=<id>` in its environment
 * (the local shell and whatever it started, including jobs that ignored SIGHUP). Linux only
 * (it reads /proc); elsewhere killing the shell's process group is all the driver does.
 */
export async function killSandboxProcesses(id: string): Promise<number> {
  if (process.platform !== 'linux') return 0;
  const needle = Buffer.from(`\0METISAI_SANDBOX_ID=${id}\0`);
  const first = Buffer.from(`METISAI_SANDBOX_ID=${id}\0`);
  let killed = 0;
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    const environ = await readFile(`/proc/${name}/environ`).catch(() => null);
    if (!environ || (environ.indexOf(needle) === -1 && environ.subarray(0, first.length).compare(first) !== 0)) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed++;
    } catch {
      // Gone already, or not ours to signal.
    }
  }
  return killed;
}
