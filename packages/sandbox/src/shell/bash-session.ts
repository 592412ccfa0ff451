import { InvalidArgumentError, SandboxError, ShellStartError } from '../errors.ts';
import type { ExecuteBashOptions, ExecuteBashParams, ExecuteBashResult, ExecuteBashStatus, Shell, ShellOptions } from '../sandbox.ts';
import { CommandTranscript } from './command-transcript.ts';
import { EchoFilter } from './echo-filter.ts';
import { FullOutputStore, type FullOutputTarget } from './full-output-store.ts';
import {
  CONTINUE_PREFIX,
  commandNotExecutedNote,
  KEY_DID_NOT_STOP_NOTE,
  NO_RUNNING_COMMAND_FOR_INPUT,
  NO_RUNNING_COMMAND_FOR_LOGS,
  omissionNote,
  restartNote,
  statusNote,
} from './observation-text.ts';
import type { CollectedOutput, OutputLimits } from './output-collector.ts';
import { exportStatement, isValidEnvName, ShellProtocol } from './shell-protocol.ts';
import type { OpenShellTransport, ShellTransport } from './shell-transport.ts';
import { tailOf } from '../text/cut-text.ts';
import { specialKeyChar } from './special-keys.ts';

export const DEFAULT_NO_OUTPUT_TIMEOUT_MS = 30_000;
export const DEFAULT_TIMEOUT_MS = 120_000;
export const DEFAULT_MAX_OUTPUT_CHARS = 30_000;
export const DEFAULT_FULL_OUTPUT_MAX_BYTES = 10 * 1024 * 1024;
const DEFAULT_START_TIMEOUT_MS = 30_000;
/** Rendering backlog (characters) at which reading from the shell pauses, and resumes. */
const PAUSE_AT_PENDING_CHARS = 1 << 20;
const RESUME_AT_PENDING_CHARS = 1 << 18;

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
  /**
   * Where the full output of an observation that had to be cut is saved (a directory outside
   * the workdir, written through the sandbox's files API). Without it the note says how to
   * capture the output instead.
   */
  fullOutput?: FullOutputTarget;
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
  readonly transcript: CommandTranscript;
  /** Removes the terminal's echo of the command line, should a previous command have turned echo on. */
  echo: EchoFilter | null = null;
  finished: { exitCode: number } | null = null;
  shellExit: { exitCode: number | null } | null = null;
  waiter: Waiter | null = null;
  /** Some of its output was already returned, so later observations say "previous command". */
  isObserved = false;

  constructor(id: number, text: string, transcript: CommandTranscript) {
    this.id = id;
    this.text = text;
    this.transcript = transcript;
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

/** The output fields of an `ExecuteBashResult`. */
type ShownOutput = Pick<ExecuteBashResult, 'output' | 'cutChars' | 'omittedLines' | 'fullOutputPath'>;
const NOTHING_SHOWN: ShownOutput = { output: '', cutChars: 0, omittedLines: 0, fullOutputPath: null };

/** Raw terminal output as plain text (for error messages): rendered, the last 500 characters. */
async function renderedText(raw: string, limits: OutputLimits): Promise<string> {
  const transcript = new CommandTranscript(limits);
  transcript.write(raw);
  const collected = await transcript.take();
  transcript.dispose();
  return tailOf([...collected.head, ...collected.tail].join('\n').trim(), 500);
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
  private readonly outputLimits: OutputLimits;
  private readonly fullOutput: FullOutputStore | null;
  private env: Record<string, string>;
  private phase: Phase = 'down';
  private transport: ShellTransport | null = null;
  private generation = 0;
  private decoder = new TextDecoder();
  private pending = '';
  private startWaiter: StartWaiter | null = null;
  private current: Command | null = null;
  private internal: Command | null = null;
  /** Output that arrived while no command ran; the next command shows it first. */
  private idle: CommandTranscript | null = null;
  private isPaused = false;
  /** A command turned the terminal's echo on: the next command line turns it off again. */
  private needsEchoOff = false;
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
    const maxChars = Math.max(2, options.maxOutputChars ?? DEFAULT_MAX_OUTPUT_CHARS);
    const headChars = Math.min(maxChars - 1, Math.max(1, options.outputHeadChars ?? Math.floor(maxChars / 2)));
    this.outputLimits = {
      headChars,
      tailChars: maxChars - headChars,
      fullMaxBytes: options.fullOutputMaxBytes ?? DEFAULT_FULL_OUTPUT_MAX_BYTES,
    };
    this.fullOutput = options.fullOutput ? new FullOutputStore(options.fullOutput, this.protocol.nonce.slice(0, 8)) : null;
    this.env = { ...SHELL_ENV_DEFAULTS, ...options.env };
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
    this.current?.transcript.dispose();
    this.idle?.dispose();
    this.idle = null;
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
    this.isPaused = false;
    this.needsEchoOff = false;
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

  private emit(raw: string): void {
    if (!raw) return;
    if (this.internal && !this.internal.isDone) return;
    const command = this.current && !this.current.isDone ? this.current : null;
    const text = command?.echo ? command.echo.filter(raw) : raw;
    if (command?.echo?.hasEcho) this.needsEchoOff = true;
    if (!text) return;
    for (const listener of this.listeners) notify(listener, text);
    const transcript = command ? command.transcript : (this.idle ??= this.newTranscript());
    transcript.write(text);
    if (!this.isPaused && transcript.pendingChars > PAUSE_AT_PENDING_CHARS && this.transport?.pause) {
      this.isPaused = true;
      this.transport.pause();
    }
    const waiter = command?.waiter;
    if (waiter) {
      waiter.noOutputTimer?.refresh();
      if (waiter.onOutput) notify(waiter.onOutput, text);
    }
  }

  /** A transcript whose rendering backlog resumes a paused shell once it has shrunk. */
  private newTranscript(): CommandTranscript {
    const transcript: CommandTranscript = new CommandTranscript(this.outputLimits, () => {
      if (this.isPaused && transcript.pendingChars < RESUME_AT_PENDING_CHARS) {
        this.isPaused = false;
        this.transport?.resume?.();
      }
    });
    return transcript;
  }

  private handleClose(exitCode: number | null): void {
    this.transport = null;
    this.generation++;
    if (this.phase === 'closed') return;
    const rest = this.pending + this.decoder.decode();
    this.pending = '';
    if (this.phase === 'starting') {
      this.phase = 'down';
      const waiter = this.startWaiter;
      void renderedText(rest, this.outputLimits).then((text) =>
        waiter?.reject(new ShellStartError(`The shell exited${exitCode === null ? '' : ` with code ${exitCode}`} before its first prompt: ${text}`)),
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
    const command = new Command(this.nextId++, script, new CommandTranscript(this.outputLimits));
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

  private refused(text: string, shown: ShownOutput = NOTHING_SHOWN): ExecuteBashResult {
    return { status: 'refused', exitCode: null, cwd: this.lastCwd, ...shown, text };
  }

  /** The command's new output as the model sees it: head, a note where lines were left out, tail. */
  private async takeOutput(command: Command): Promise<ShownOutput> {
    const collected = await command.transcript.take();
    return this.show(command.id, collected);
  }

  private async show(commandId: number, collected: CollectedOutput): Promise<ShownOutput> {
    if (!collected.full) return { output: collected.head.join('\n'), cutChars: 0, omittedLines: 0, fullOutputPath: null };
    const saved = this.fullOutput ? await this.fullOutput.save(commandId, collected.full) : null;
    const note = omissionNote({
      omittedLines: collected.omittedLines,
      firstOmittedLine: collected.head.length + 1,
      omittedChars: collected.omittedChars,
      cutLines: collected.cutLines,
      maxLineChars: Math.min(this.outputLimits.headChars, this.outputLimits.tailChars),
      totalLines: collected.totalLines,
      saved,
    });
    const lines = collected.omittedLines > 0 ? [...collected.head, note, ...collected.tail] : [...collected.head, note];
    return {
      output: lines.join('\n'),
      cutChars: collected.omittedChars,
      omittedLines: collected.omittedLines,
      fullOutputPath: saved && 'path' in saved ? saved.path : null,
    };
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
      const shown = await this.takeOutput(command);
      const head = command.isObserved ? CONTINUE_PREFIX : '';
      command.isObserved = true;
      const body = shown.output ? `${shown.output}\n` : '';
      return this.refused(`${prefix}${head}${body}${commandNotExecutedNote(parsed.text)}`, shown);
    }
    if (command) {
      // The previous command finished after its last observation: show what the model missed.
      const previous = await this.observe(command, wait, null, '');
      prefix += `[The previous command finished after your last check.]\n${previous.text}\n\n`;
    }

    const next = new Command(this.nextId++, parsed.text, this.idle ?? this.newTranscript());
    this.idle = null;
    this.current = next;
    const exports = exportStatement(this.pendingExports);
    const prelude = this.needsEchoOff ? [exports, 'stty -echo'].filter(Boolean).join(';') : exports;
    this.pendingExports = {};
    this.needsEchoOff = false;
    const line = this.protocol.commandLine(next.id, parsed.text, prelude);
    next.echo = new EchoFilter(line);
    this.write(line);
    return this.observe(next, wait, null, prefix);
  }

  private async observe(
    command: Command,
    wait: { noOutputMs: number | null; hardMs: number; onOutput: ((chunk: string) => void) | undefined },
    key: string | null,
    prefix: string,
  ): Promise<ExecuteBashResult> {
    const outcome = await this.wait(command, wait.noOutputMs, wait.hardMs, wait.onOutput);
    const shown = await this.takeOutput(command);
    const output = shown.output;
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
    if (command.isDone && this.current === command) {
      this.current = null;
      command.transcript.dispose();
    }

    const explanation = await this.options.explain?.({ status, exitCode, output }).catch(() => undefined);
    const note = statusNote({ status, exitCode, key, noOutputTimeoutMs: this.noOutputTimeoutMs, hardTimeoutMs: wait.hardMs });
    const lines = [`${prefix}${head}${output}`, note];
    if (key && !command.isDone) lines.push(KEY_DID_NOT_STOP_NOTE);
    if (explanation) lines.push(explanation);
    lines.push(`[Current working directory: ${this.lastCwd}]`);
    const text = lines.filter((line, i) => i > 0 || line !== '').join('\n');
    return { status, exitCode, cwd: this.lastCwd, ...shown, text };
  }
}
