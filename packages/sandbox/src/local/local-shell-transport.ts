import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { ShellStartError } from '../errors.ts';
import { BASH_ARGV, type OpenShellTransport } from '../shell/shell-transport.ts';

/** Which program gives bash its pty: util-linux `script` (Linux) or a few lines of python3 `pty`. */
export type PtyHelper = 'script' | 'python';

// Copies stdin to the pty and the pty to stdout until bash exits; exits with bash's status.
const PYTHON_PTY = `
import os, pty, select, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
stdin = sys.stdin.fileno()
fds = [fd, stdin]
while True:
    try:
        ready, _, _ = select.select(fds, [], [])
    except InterruptedError:
        continue
    if fd in ready:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b''
        if not data:
            break
        os.write(1, data)
    if stdin in ready:
        data = os.read(stdin, 65536)
        if data:
            os.write(fd, data)
        else:
            fds.remove(stdin)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status) & 0xff)
`;

export const defaultPtyHelper = (): PtyHelper => (process.platform === 'linux' ? 'script' : 'python');

function helperArgv(helper: PtyHelper): [string, string[]] {
  if (helper === 'script') return ['script', ['-qfec', BASH_ARGV.join(' '), '/dev/null']];
  return ['python3', ['-c', PYTHON_PTY, ...BASH_ARGV]];
}

export interface LocalShellOptions {
  cwd: string;
  /** The shell's whole base environment (nothing else of the host's leaks in). */
  baseEnv: Record<string, string>;
  ptyHelper?: PtyHelper;
}

/** A bash on a pty on this host. `C-c` goes through the pty's line discipline, so it signals the foreground job. */
export function openLocalShell(options: LocalShellOptions): OpenShellTransport {
  return async (env, handlers) => {
    const [program, args] = helperArgv(options.ptyHelper ?? defaultPtyHelper());
    const child = spawn(program, args, {
      cwd: options.cwd,
      env: { ...options.baseEnv, ...env },
      stdio: ['pipe', 'pipe', 'ignore'],
      detached: true,
    });
    try {
      await once(child, 'spawn');
    } catch (err) {
      throw new ShellStartError(`Could not start ${program} for the local shell: ${(err as Error).message}`, err);
    }
    child.stdout.on('data', (chunk: Buffer) => handlers.onData(chunk));
    child.stdin.on('error', () => undefined);
    child.on('exit', (code, signal) => handlers.onClose(code ?? (signal ? 128 : null)));
    return {
      write: (data) => {
        if (child.stdin.writable) child.stdin.write(data);
      },
      pause: () => child.stdout.pause(),
      resume: () => child.stdout.resume(),
      close: async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        try {
          process.kill(-(child.pid ?? 0), 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
        await exited;
      },
    };
  };
}
