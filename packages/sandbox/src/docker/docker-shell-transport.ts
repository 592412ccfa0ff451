import type Docker from 'dockerode';
import type { Duplex } from 'node:stream';
import { BASH_ARGV, type OpenShellTransport } from '../shell/shell-transport.ts';

/**
 * The sandbox shell: a `docker exec` of bash with `Tty: true`, so the container gets a real
 * pty and `C-c` written to it signals the foreground job. One hijacked connection carries
 * input and output; there is no polling.
 */
export function openDockerShell(container: Docker.Container, options: { user: string; workdir: string }): OpenShellTransport {
  return async (env, handlers) => {
    const exec = await container.exec({
      Cmd: [...BASH_ARGV],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: true,
      User: options.user,
      WorkingDir: options.workdir,
      Env: Object.entries(env).map(([name, value]) => `${name}=${value}`),
    });
    const stream = (await exec.start({ hijack: true, stdin: true, Tty: true })) as Duplex;
    let isClosed = false;
    const handleEnd = () => {
      if (isClosed) return;
      isClosed = true;
      exec.inspect().then(
        (info) => handlers.onClose(info.Running ? null : (info.ExitCode ?? null)),
        () => handlers.onClose(null),
      );
    };
    stream.on('data', (chunk: Buffer) => handlers.onData(chunk));
    stream.on('end', handleEnd);
    stream.on('close', handleEnd);
    stream.on('error', handleEnd);
    return {
      write: (data) => {
        if (!stream.destroyed) stream.write(data);
      },
      pause: () => stream.pause(),
      resume: () => stream.resume(),
      close: async () => {
        isClosed = true;
        stream.destroy();
      },
    };
  };
}
