import { type Duplex, PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { ExecResult } from './exec-command.ts';

// Runs each request's script with its arguments, output to a file, then answers "<exit code> <bytes>\n" and the output:
// a length prefix, so any bytes (NULs included) come back intact.
const LOOP = `while IFS= read -r -d '' script && IFS= read -r -d '' count; do
args=(); for ((i = 0; i < count; i++)); do IFS= read -r -d '' arg; args+=("$arg"); done
out=$(mktemp) || exit 1
bash -c "$script" helper "\${args[@]}" >"$out" 2>/dev/null </dev/null; code=$?
printf '%d %d\\n' "$code" "$(stat -c %s "$out")"; cat "$out"; rm -f "$out"
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
  /** What arrived of the current answer: its header once read, and the bytes after it. */
  #header: { code: number; size: number } | null = null;
  #chunks: Buffer[] = [];
  #length = 0;
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
      const fields = [script, String(args.length), ...args];
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
      this.#header = null;
      this.#chunks = [];
      this.#length = 0;
      const pending = this.#pending;
      this.#pending = null;
      pending?.reject(new Error('the helper process ended'));
    };
    stream.on('end', gone);
    stream.on('close', gone);
    stream.on('error', gone);
    this.#stream = stream;
    return stream;
  }

  /** Collects an answer (`<code> <size>\n` then `size` bytes) without copying it more than twice. */
  #take(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    for (;;) {
      if (!this.#header) {
        const joined = Buffer.concat(this.#chunks, this.#length);
        const newline = joined.indexOf(10);
        this.#chunks = [joined];
        if (newline < 0) return;
        const [code, size] = joined.subarray(0, newline).toString('latin1').split(' ').map(Number) as [number, number];
        this.#header = { code, size };
        this.#chunks = [joined.subarray(newline + 1)];
        this.#length = joined.length - newline - 1;
      }
      if (this.#length < this.#header.size) return;
      const all = Buffer.concat(this.#chunks, this.#length);
      const { code, size } = this.#header;
      const rest = all.subarray(size);
      this.#header = null;
      this.#chunks = rest.length > 0 ? [rest] : [];
      this.#length = rest.length;
      const pending = this.#pending;
      this.#pending = null;
      pending?.resolve({ exitCode: code, stdout: Buffer.from(all.subarray(0, size)), stderr: Buffer.alloc(0) });
      if (rest.length === 0) return;
    }
  }
}
