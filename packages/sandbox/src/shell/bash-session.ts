import { InvalidArgumentError, SandboxError, ShellStartError } from '../errors.ts';
import type { ExecuteBashOptions, ExecuteBashParams, ExecuteBashResult, ExecuteBashStatus, Shell, ShellOptions } from '../sandbox.ts';
import { cleanTerminalOutput } from './clean-terminal-output.ts';
import {
  CONTINUE_PREFIX,
  commandNotExecutedNote,
  NO_RUNNING_COMMAND_FOR_INPUT,
  NO_RUNNING_COMMAND_FOR_LOGS,
  restartNote,
  statusNote,
  truncationNote,
} from './observation-text.ts';
import { OutputBuffer } from './output-buffer.ts';
import { exportStatement, isValidEnvName, ShellProtocol } from './shell-protocol.ts';
import type { OpenShellTransport, ShellTransport } from './shell-transport.ts';
import { specialKeyChar } from './special-keys.ts';

export const DEFAULT_NO_OUTPUT_TIMEOUT_MS = 30_000;
export const DEFAULT_TIMEOUT_MS = 120_000;
export const DEFAULT_MAX_OUTPUT_CHARS = 30_000;
const DEFAULT_START_TIMEOUT_MS = 30_000;

/** Environment every shell starts with unless the caller sets these names. */
const SHELL_ENV_DEFAULTS: Record<string, string> = {
  TERM: 'dumb',
  PAGER: 'cat',
  GIT_PAGER: 'cat',
  DEBIAN_FRONTEND: 'noninteractive',
  LANG: 'C.UTF-8',
};

export interface ExitExplanationInput {
  status: ExecuteBashStatus;
  exitCode: number | null;
  output: string;
}

export interface BashSessionOptions extends ShellOptions {
  open: OpenShellTransport;
  /** Where a fresh shell starts when no saved state exists. */
  workdir: string;
  env?: Record<string, string>;
  /** Runs before every shell (re)start; throws when the sandbox can no longer run one. */
  beforeStart?: () => Promise<void>;
  /** An extra note for the model about how a command ended (out-of-memory kill, process limit). */
  explain?: (input: ExitExplanationInput) => Promise<string | undefined>;
  startTimeoutMs?: number;
}

type WaitOutcome = 'finished' | 'no_output' | 'hard_timeout' | 'shell_exited';

interface Waiter {
  finish(outcome: WaitOutcome): void;
  onOutput: ((chunk: string) => void) | undefined;
  noOutputTimer: NodeJS.Timeout | null;
}

class Command {
  readonly id: number;
  readonly text: string;
  readonly output: OutputBuffer;
  finished: { exitCode: number } | null = null;
  shellExit: { exitCode: number | null } | null = null;
  waiter: Waiter | null = null;
  /** Some of its output was already returned, so later observations say "previous command". */
  isObserved = false;

  constructor(id: number, text: string, maxOutputChars: number) {
    this.id = id;
    this.text = text;
    this.output = new OutputBuffer(maxOutputChars);
  }

  get isDone(): boolean {
    return this.finished !== null || this.shellExit !== null;
  }
}

interface StartWaiter {
  resolve(startupText: string): void;
  reject(error: Error): void;
}

type Phase = 'down' | 'starting' | 'ready' | 'closed';

interface ParsedParams {
  text: string;
  isInput: boolean;
  timeoutMs: number | null;
  error: string | null;
}

/** A listener's exception must not break the shell's output handling. */
function notify(listener: (chunk: string) => void, chunk: string): void {
  try {
    listener(chunk);
  } catch {
    // Ignored on purpose.
  }
}

function parseParams(params: ExecuteBashParams): ParsedParams {
  const text = typeof params.command === 'string' ? params.command.trim() : '';
  const isInput = params.is_input === true || params.is_input === 'true';
  let timeoutMs: number | null = null;
  let error: string | null = null;
  if (params.timeout !== undefined && params.timeout !== null && params.timeout !== '') {
    const seconds = Number(params.timeout);
    if (!Number.isFinite(seconds) || seconds <= 0) error = `ERROR: Invalid timeout "${params.timeout}": it must be a positive number of seconds.`;
    else timeoutMs = seconds * 1000;
  }
  return { text, isInput, timeoutMs, error };
}

/**
 * A persistent interactive bash on a pty with OpenHands `execute_bash` semantics. Commands end
 * at a prompt marker (never by polling or sleeping); output streams to `onOutput` as it comes.
 * The driver provides the pty through `open`; this class never knows which driver it runs on.
 */
export class BashSession implements Shell {
  private readonly options: BashSessionOptions;
  private readonly protocol = new ShellProtocol();
  private readonly noOutputTimeoutMs: number;
  private readonly defaultTimeoutMs: number;
  private readonly maxOutputChars: number;
  private env: Record<string, string>;
  private phase: Phase = 'down';
  private transport: ShellTransport | null = null;
  private generation = 0;
  private decoder = new TextDecoder();
  private pending = '';
  private startWaiter: StartWaiter | null = null;
  private current: Command | null = null;
  private internal: Command | null = null;
  private idleOutput: OutputBuffer;
  private nextId = 1;
  private pendingExports: Record<string, string> = {};
  private startNote = '';
  private hasStarted = false;
  private tail: Promise<void> = Promise.resolve();
  private lastCwd: string;
  private readonly listeners = new Set<(chunk: string) => void>();

  constructor(options: BashSessionOptions) {
    this.options = options;
    this.noOutputTimeoutMs = options.noOutputTimeoutMs ?? DEFAULT_NO_OUTPUT_TIMEOUT_MS;
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxOutputChars = options.maxOutputChars ?? DEFAULT_MAX_OUTPUT_CHARS;
    this.env = { ...SHELL_ENV_DEFAULTS, ...options.env };
    this.idleOutput = new OutputBuffer(this.maxOutputChars);
    this.lastCwd = options.workdir;
  }

  get cwd(): string {
    return this.lastCwd;
  }

  /** Starts the shell (restoring saved state when a previous shell left some) and waits for its first prompt. */
  start(): Promise<void> {
    return this.serialize(() => this.startNow('reconnect'));
  }

  execute(params: ExecuteBashParams, options: ExecuteBashOptions = {}): Promise<ExecuteBashResult> {
    return this.serialize(() => this.executeNow(params, options));
  }

  /** Sends C-c to the foreground job right away, without waiting for a running `execute` to return. */
  interrupt(): void {
    if (this.phase === 'ready' && this.current && !this.current.isDone) this.transport?.write('\x03');
  }

  subscribe(listener: (chunk: string) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Exports variables into the shell now, or with the next command when one is running. */
  async setEnv(vars: Record<string, string>): Promise<void> {
    for (const name of Object.keys(vars)) {
      if (!isValidEnvName(name)) throw new InvalidArgumentError(`Invalid environment variable name: ${JSON.stringify(name)}`);
    }
    return this.serialize(async () => {
      Object.assign(this.env, vars);
      if (this.phase === 'ready' && (!this.current || this.current.isDone)) {
        await this.runInternal(exportStatement({ ...this.pendingExports, ...vars }));
        this.pendingExports = {};
      } else {
        Object.assign(this.pendingExports, vars);
      }
    });
  }

  async close(): Promise<void> {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    const transport = this.transport;
    this.transport = null;
    this.generation++;
    this.startWaiter?.reject(new SandboxError('The shell was closed'));
    this.finishCommand(this.current, { shellExit: null });
    this.finishCommand(this.internal, { shellExit: null });
    await transport?.close();
  }

  // -------------------------------------------------------------------------

  private serialize<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.tail.then(operation);
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async startNow(reason: 'reconnect' | 'shell_exit'): Promise<void> {
    if (this.phase === 'closed') throw new SandboxError('The shell was closed');
    await this.options.beforeStart?.();
    const generation = ++this.generation;
    this.phase = 'starting';
    this.pending = '';
    this.decoder = new TextDecoder();
    const started = new Promise<string>((resolve, reject) => {
      this.startWaiter = { resolve, reject };
    });
    started.catch(() => undefined); // Settled through the race below, or abandoned.
    const env = { ...this.env, ...this.protocol.initEnv(this.options.workdir) };
    try {
      this.transport = await this.options.open(env, {
        onData: (chunk) => {
          if (generation === this.generation) this.handleData(chunk);
        },
        onClose: (exitCode) => {
          if (generation === this.generation) this.handleClose(exitCode);
        },
      });
    } catch (err) {
      this.phase = 'down';
      this.startWaiter = null;
      throw err instanceof SandboxError ? err : new ShellStartError(`Could not start the shell: ${(err as Error).message}`, err);
    }
    if ((this.phase as Phase) === 'closed') {
      // close() ran while the transport was opening.
      await this.transport.close();
      this.transport = null;
      throw new SandboxError('The shell was closed');
    }
    this.transport.write(this.protocol.initLine());
    const timeoutMs = this.options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ShellStartError(`The shell gave no prompt within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const startupText = await Promise.race([started, timedOut]);
      const note = this.protocol.parseStartNote(startupText);
      if (note.restored && (this.hasStarted || reason === 'reconnect'))
        this.startNote = restartNote(note.lostJobs, this.hasStarted ? 'shell_exit' : 'reconnect');
      this.hasStarted = true;
    } catch (err) {
      const transport = this.transport;
      this.transport = null;
      this.phase = 'down';
      this.generation++;
      await transport?.close().catch(() => undefined);
      throw err;
    } finally {
      clearTimeout(timer);
      this.startWaiter = null;
    }
  }

  private handleData(chunk: Uint8Array): void {
    this.pending += this.decoder.decode(chunk, { stream: true });
    this.drain();
  }

  private drain(): void {
    for (;;) {
      if (this.phase === 'starting') {
        const marker = this.protocol.findMarker(this.pending);
        if (!marker) {
          // Startup chatter before the first prompt is discarded; keep only its end.
          if (this.pending.length > 65_536) this.pending = this.pending.slice(-32_768);
          return;
        }
        const startupText = this.pending.slice(0, marker.index);
        this.pending = this.pending.slice(marker.index + marker.length);
        this.lastCwd = marker.cwd;
        this.phase = 'ready';
        this.startWaiter?.resolve(startupText);
        continue;
      }
      const marker = this.protocol.findMarker(this.pending);
      if (marker) {
        this.emit(this.pending.slice(0, marker.index));
        this.pending = this.pending.slice(marker.index + marker.length);
        this.lastCwd = marker.cwd;
        const target = this.internal?.id === marker.commandId ? this.internal : this.current?.id === marker.commandId ? this.current : null;
        if (target && !target.isDone) this.finishCommand(target, { exitCode: marker.exitCode });
        continue;
      }
      const hold = this.protocol.holdBackLength(this.pending);
      this.emit(this.pending.slice(0, this.pending.length - hold));
      this.pending = this.pending.slice(this.pending.length - hold);
      return;
    }
  }

  private emit(text: string): void {
    if (!text) return;
    if (this.internal && !this.internal.isDone) return;
    for (const listener of this.listeners) notify(listener, text);
    const command = this.current && !this.current.isDone ? this.current : null;
    if (!command) {
      this.idleOutput.append(text);
      return;
    }
    command.output.append(text);
    const waiter = command.waiter;
    if (waiter) {
      waiter.noOutputTimer?.refresh();
      if (waiter.onOutput) notify(waiter.onOutput, text);
    }
  }

  private handleClose(exitCode: number | null): void {
    this.transport = null;
    this.generation++;
    if (this.phase === 'closed') return;
    const rest = this.pending + this.decoder.decode();
    this.pending = '';
    if (this.phase === 'starting') {
      this.phase = 'down';
      this.startWaiter?.reject(
        new ShellStartError(
          `The shell exited${exitCode === null ? '' : ` with code ${exitCode}`} before its first prompt: ${cleanTerminalOutput(rest).trim().slice(-500)}`,
        ),
      );
      return;
    }
    this.phase = 'down';
    this.emit(rest);
    this.finishCommand(this.internal, { shellExit: exitCode });
    this.finishCommand(this.current, { shellExit: exitCode });
  }

  private finishCommand(command: Command | null, end: { exitCode: number } | { shellExit: number | null }): void {
    if (!command || command.isDone) return;
    if ('exitCode' in end) command.finished = { exitCode: end.exitCode };
    else command.shellExit = { exitCode: end.shellExit };
    command.waiter?.finish(command.finished ? 'finished' : 'shell_exited');
  }

  private write(data: string): void {
    if (!this.transport) throw new SandboxError('The shell is not running');
    this.transport.write(data);
  }

  private async runInternal(script: string): Promise<void> {
    if (!script) return;
    const command = new Command(this.nextId++, script, 1024);
    this.internal = command;
    try {
      this.write(this.protocol.commandLine(command.id, script));
      await this.wait(command, null, this.defaultTimeoutMs, undefined);
      if (command.shellExit) throw new SandboxError('The shell exited while applying environment variables');
    } finally {
      this.internal = null;
    }
  }

  private wait(command: Command, noOutputMs: number | null, hardMs: number, onOutput: ((chunk: string) => void) | undefined): Promise<WaitOutcome> {
    if (command.isDone) return Promise.resolve(command.finished ? 'finished' : 'shell_exited');
    return new Promise<WaitOutcome>((resolve) => {
      const hardTimer = setTimeout(() => waiter.finish('hard_timeout'), hardMs);
      const waiter: Waiter = {
        onOutput,
        noOutputTimer: noOutputMs === null ? null : setTimeout(() => waiter.finish('no_output'), noOutputMs),
        finish: (outcome) => {
          clearTimeout(hardTimer);
          if (waiter.noOutputTimer) clearTimeout(waiter.noOutputTimer);
          if (command.waiter === waiter) command.waiter = null;
          resolve(outcome);
        },
      };
      command.waiter = waiter;
    });
  }

  private takeStartNote(): string {
    const note = this.startNote;
    this.startNote = '';
    return note;
  }

  private refused(text: string, output = ''): ExecuteBashResult {
    return { status: 'refused', output, exitCode: null, cwd: this.lastCwd, cutChars: 0, text };
  }

  private async executeNow(params: ExecuteBashParams, options: ExecuteBashOptions): Promise<ExecuteBashResult> {
    if (this.phase === 'closed') throw new SandboxError('The shell was closed');
    const parsed = parseParams(params);
    if (parsed.error) return this.refused(parsed.error);
    if (this.phase === 'down') await this.startNow('shell_exit');

    const key = specialKeyChar(parsed.text);
    const command = this.current;
    const wait = {
      noOutputMs: parsed.timeoutMs === null ? this.noOutputTimeoutMs : null,
      hardMs: parsed.timeoutMs ?? this.defaultTimeoutMs,
      onOutput: options.onOutput,
    };

    if (parsed.text === '') {
      if (!command) return this.refused(NO_RUNNING_COMMAND_FOR_LOGS);
      return this.observe(command, wait, null, this.takeStartNote());
    }

    if (parsed.isInput || key) {
      if (!command) return this.refused(NO_RUNNING_COMMAND_FOR_INPUT);
      if (command.isDone) {
        const note = '[Your input was not sent: the command had already finished.]\n';
        return this.observe(command, wait, null, this.takeStartNote() + note);
      }
      this.write(key ?? `${parsed.text}\n`);
      return this.observe(command, wait, key ? parsed.text : null, this.takeStartNote());
    }

    let prefix = this.takeStartNote();
    if (command && !command.isDone) {
      const taken = command.output.take();
      const output = cleanTerminalOutput(taken.text).trimEnd();
      const head = command.isObserved ? CONTINUE_PREFIX : '';
      command.isObserved = true;
      const cut = taken.cutChars > 0 ? truncationNote(taken.cutChars, taken.cutLines, this.maxOutputChars) : '';
      const body = output ? `${output}\n` : '';
      return this.refused(`${prefix}${head}${cut}${body}${commandNotExecutedNote(parsed.text)}`, output);
    }
    if (command) {
      // The previous command finished after its last observation: show what the model missed.
      const previous = await this.observe(command, wait, null, '');
      prefix += `[The previous command finished after your last check.]\n${previous.text}\n\n`;
    }

    const next = new Command(this.nextId++, parsed.text, this.maxOutputChars);
    const idle = this.idleOutput.take();
    next.output.append(idle.text);
    this.current = next;
    const prelude = exportStatement(this.pendingExports);
    this.pendingExports = {};
    this.write(this.protocol.commandLine(next.id, parsed.text, prelude));
    return this.observe(next, wait, null, prefix);
  }

  private async observe(
    command: Command,
    wait: { noOutputMs: number | null; hardMs: number; onOutput: ((chunk: string) => void) | undefined },
    key: string | null,
    prefix: string,
  ): Promise<ExecuteBashResult> {
    const outcome = await this.wait(command, wait.noOutputMs, wait.hardMs, wait.onOutput);
    const taken = command.output.take();
    const output = cleanTerminalOutput(taken.text).trimEnd();
    const head = command.isObserved ? CONTINUE_PREFIX : '';
    command.isObserved = true;

    let status: ExecuteBashStatus;
    let exitCode: number | null = null;
    if (command.finished) {
      status = key ? 'interrupted' : 'completed';
      exitCode = command.finished.exitCode;
    } else if (command.shellExit) {
      status = 'shell_restarted';
      exitCode = command.shellExit.exitCode;
    } else {
      status = outcome === 'hard_timeout' ? 'timeout' : 'still_running';
    }
    if (command.isDone && this.current === command) this.current = null;

    const explanation = await this.options.explain?.({ status, exitCode, output }).catch(() => undefined);
    const cut = taken.cutChars > 0 ? truncationNote(taken.cutChars, taken.cutLines, this.maxOutputChars) : '';
    const note = statusNote({ status, exitCode, key, noOutputTimeoutMs: this.noOutputTimeoutMs, hardTimeoutMs: wait.hardMs });
    const lines = [`${prefix}${head}${cut}${output}`, note];
    if (explanation) lines.push(explanation);
    lines.push(`[Current working directory: ${this.lastCwd}]`);
    const text = lines.filter((line, i) => i > 0 || line !== '').join('\n');
    return { status, output, exitCode, cwd: this.lastCwd, cutChars: taken.cutChars, text };
  }
}
