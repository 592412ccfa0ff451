import { randomBytes } from 'node:crypto';
import { type Duplex, PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { ExecResult } from './exec-command.ts';

// Runs each request's script with its arguments in a subshell (no exec of another bash, no temporary file: each costs a
// process), then writes "<end marker> <exit code>\n" after its output. The marker is random per request, so any bytes
// (NULs included) come back intact before it.
const LOOP = `while IFS= read -r -d '' script && IFS= read -r -d '' marker && IFS= read -r -d '' count; do
args=(); for ((i = 0; i < count; i++)); do IFS= read -r -d '' arg; args+=("$arg"); done
( set -- "\${args[@]}"; eval "$script" ) 2>/dev/null </dev/null; code=$?
printf '%s %d\\n' "$marker" "$code"
done`;

interface Pending {
  resolve: (result: ExecResult) => void;
  reject: (error: Error) => void;
}

/**
 * One long-lived `bash` in the container (a `docker exec` kept open) that runs short helper scripts for the file API
 * without a `docker exec` each: an exec costs tens of milliseconds, a request here a few. Requests run one at a time.
 * If the process is gone (the sandbox stopped, `kill -9 -1`), the next request starts another. Output of stderr is
 * dropped; `ExecResult.stderr` is always empty.
 */
export class HelperProcess {
  readonly #container: Docker.Container;
  readonly #user: string;
  #stream: Duplex | null = null;
  #starting: Promise<Duplex> | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  /** What arrived of the current answer, and the marker that ends it. */
  #chunks: Buffer[] = [];
  #length = 0;
  /** The last bytes received, kept to find a marker split across chunks. */
  #tail: Buffer = Buffer.alloc(0);
  #marker: Buffer | null = null;
  #pending: Pending | null = null;

  constructor(container: Docker.Container, user: string) {
    this.#container = container;
    this.#user = user;
  }

  /** Runs `script` (bash) with `args` as `$1…` and answers its exit code and stdout. */
  run(script: string, args: readonly string[]): Promise<ExecResult> {
    const result = this.#queue.then(() => this.#send(script, args));
    this.#queue = result.catch(() => undefined);
    return result;
  }

  /** Ends the process (it exits when its input closes). */
  close(): void {
    this.#stream?.end();
    this.#stream?.destroy();
    this.#stream = null;
  }

  async #send(script: string, args: readonly string[]): Promise<ExecResult> {
    const stream = this.#stream ?? (await (this.#starting ??= this.#start().finally(() => (this.#starting = null))));
    return new Promise<ExecResult>((resolve, reject) => {
      this.#pending = { resolve, reject };
      const marker = `__metis_helper_end_${randomBytes(16).toString('hex')}__`;
      this.#marker = Buffer.from(`${marker} `, 'latin1');
      this.#chunks = [];
      this.#length = 0;
      this.#tail = Buffer.alloc(0);
      const fields = [script, marker, String(args.length), ...args];
      stream.write(Buffer.concat(fields.map((field) => Buffer.from(`${field}\0`, 'utf8'))));
    });
  }

  async #start(): Promise<Duplex> {
    const exec = await this.#container.exec({ Cmd: ['bash', '-c', LOOP], AttachStdin: true, AttachStdout: true, AttachStderr: true, User: this.#user });
    const stream = (await exec.start({ hijack: true, stdin: true })) as Duplex;
    const stdout = new PassThrough();
    this.#container.modem.demuxStream(stream, stdout, new PassThrough().resume());
    stdout.on('data', (chunk: Buffer) => this.#take(chunk));
    const gone = () => {
      if (this.#stream === stream) this.#stream = null;
      this.#release()?.reject(new Error('the helper process ended'));
    };
    stream.on('end', gone);
    stream.on('close', gone);
    stream.on('error', gone);
    this.#stream = stream;
    return stream;
  }

  /** Collects an answer (its output, then `<marker> <code>\n`) without copying it more than twice. */
  #take(chunk: Buffer): void {
    const marker = this.#marker;
    if (!marker) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    // Only the bytes that could hold the marker's start and its line are searched again: the previous tail and the chunk.
    const window = Buffer.concat([this.#tail, chunk]);
    const at = window.indexOf(marker);
    const newline = at < 0 ? -1 : window.indexOf(10, at + marker.length);
    if (newline < 0) {
      this.#tail = window.subarray(Math.max(0, window.length - marker.length - 16));
      return;
    }
    const windowStart = this.#length - window.length;
    const all = Buffer.concat(this.#chunks, this.#length);
    const code = Number(window.subarray(at + marker.length, newline).toString('latin1'));
    const output = Buffer.from(all.subarray(0, windowStart + at));
    this.#release()?.resolve({ exitCode: code, stdout: output, stderr: Buffer.alloc(0) });
  }

  /** Drops the answer being collected and hands back the request that waited for it (`null` when none did). */
  #release(): Pending | null {
    this.#marker = null;
    this.#chunks = [];
    this.#length = 0;
    this.#tail = Buffer.alloc(0);
    const pending = this.#pending;
    this.#pending = null;
    return pending;
  }
}
