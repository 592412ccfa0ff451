import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import type { SandboxWatch } from '../suites/driver-suite.ts';

/** Engine events that mean a container ran something: a start, an unpause, an exec (a shell is one). */
const RUNS = /^(start|restart|unpause|exec_create|exec_start)\b/;

/**
 * Follows the engine's event stream for one container (subscribed when this resolves) until its `destroy`
 * event; answers the events that mean it ran.
 */
export async function watchContainer(id: string, docker: Docker = new Docker()): Promise<SandboxWatch> {
  const stream = (await docker.getEvents({ filters: { container: [id] } })) as Readable;
  const seen: string[] = [];
  const gone = new Promise<void>((resolve, reject) => {
    const lines = createInterface({ input: stream });
    lines.on('line', (line) => {
      if (line.trim() === '') return;
      const event = JSON.parse(line) as { Action?: string; status?: string };
      const action = event.Action ?? event.status ?? '';
      if (RUNS.test(action)) seen.push(action);
      if (action === 'destroy') resolve();
    });
    stream.on('error', reject);
    stream.on('end', () => reject(new Error(`the event stream ended before ${id} was destroyed`)));
  });
  return {
    async untilGone() {
      try {
        await gone;
      } finally {
        stream.destroy();
      }
      return seen;
    },
  };
}
