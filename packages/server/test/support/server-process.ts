import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs `src/main.ts` as `npm start` does, in its own process, with `env` on top of a minimal environment.
 * `main` runs another checkout's entry point instead of this one's.
 */
export function runMain(env: Record<string, string>, main = MAIN): { child: ChildProcess; output(): string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--conditions=@metisai/source', main], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', BCRYPT_COST: '4', SANDBOX_IMAGE_BUILD: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => text, exited };
}

/** Starts the server (`main`: see `runMain`) and waits for its "listening" log line. */
export async function startServerProcess(env: Record<string, string>, { timeoutMs = 30_000, main = MAIN } = {}): Promise<ServerProcess> {
  const run = runMain({ PORT: '0', ...env }, main);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${run.output()}`)), timeoutMs);
    const onData = () => {
      const match = /"url":"(http:[^"]+)"[^\n]*MetisAI server listening/.exec(run.output());
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    run.child.stdout!.on('data', onData);
    void run.exited.then((code) => reject(new Error(`server exited with ${code}:\n${run.output()}`)));
  });
  return {
    child: run.child,
    url,
    output: run.output,
    stop: (signal = 'SIGTERM') => {
      run.child.kill(signal);
      return run.exited;
    },
  };
}
