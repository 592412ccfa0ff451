import { setTimeout as sleep } from 'node:timers/promises';
import { ImageBuildError, type ImageBuildProgress, type SandboxImageBuild } from '@metisai/sandbox';
import type { AgentStatusDetail } from '@metisai/sdk/schemas';
import type { Logger } from 'pino';
import type { AdvisoryLocks } from '../db/advisory-locks.ts';
import type { Orm } from '../db/orm.ts';

/** Where a build of the sandbox image stands, as every process of the database sees it (`image_builds`). */
export interface ImageBuildStatus extends ImageBuildProgress {
  image: string;
  startedAt: Date;
}

/** Called with each new status of the build an `ensure` waits for (at most about once a second, and at each new step). */
export type ImageBuildListener = (status: ImageBuildStatus) => void;

/** The advisory lock held by the process that builds `image` (one build across processes and replicas). */
export const imageBuildLock = (image: string) => `image-build:${image}`;

/** How often a process that waits for another's build reads its progress and tries the lock. */
const WATCH_POLL_MS = 500;
/** Progress is written (and handed to listeners) at each new step, else at most this often. */
const PROGRESS_INTERVAL_MS = 1000;
/** Longest instruction in a progress message (`status_detail` has it up to 200 characters). */
const MAX_MESSAGE_INSTRUCTION_CHARS = 80;
/** Longest failure message (it becomes agents' `status_message`): the end of the build log is cut first. */
export const MAX_BUILD_ERROR_CHARS = 4000;

/** The sandbox image could not be built, here or by another process; the message ends with the end of the build log. */
export class ImageBuildFailedError extends Error {
  override name = 'ImageBuildFailedError';
}

interface BuildRow<Time = Date> {
  status: 'building' | 'succeeded' | 'failed';
  step: number | null;
  steps: number | null;
  instruction: string | null;
  log_lines: number;
  error: string | null;
  started_at: Time;
}

interface Job {
  promise: Promise<void>;
  listeners: Set<ImageBuildListener>;
  last: ImageBuildStatus | null;
}

export interface ImageBuilderOptions {
  /** The driver's image built from a Dockerfile (`SandboxDriver.imageBuild`). */
  build: SandboxImageBuild;
  locks: AdvisoryLocks;
  orm: Orm;
  logger: Logger;
}

/**
 * Builds the server's sandbox image when the engine lacks it, once across the processes and replicas of a database:
 * the process that takes the advisory lock `image-build:<image>` builds and writes the progress to its `image_builds`
 * row; the others read that row until the lock is free, then find the image (or the failure, or a dead builder, whose
 * build they take over). In a process, concurrent `ensure` calls share one attempt. Never pulls.
 *
 * The progress lives in the database rather than on the control channel: a NOTIFY reaches only the processes
 * listening at that moment, while a process that starts mid-build, or whose LISTEN connection dropped, reads the
 * row and shows the build where it is, and a waiter learns how a build it watched ended even if it missed the end.
 */
export class ImageBuilder {
  readonly #options: ImageBuilderOptions;
  readonly #closing = new AbortController();
  #job: Job | null = null;

  constructor(options: ImageBuilderOptions) {
    this.#options = options;
  }

  /** The image this builder makes (`metisai/sandbox:latest`). */
  get image(): string {
    return this.#options.build.image;
  }

  /** At server start: builds the image in the background if it is missing. A failure is logged; the next `ensure` (an agent start) tries again. */
  start(): void {
    void this.ensure().catch((error: unknown) => {
      if (!this.#closing.signal.aborted) this.#options.logger.warn({ err: error, image: this.image }, 'the sandbox image is not available');
    });
  }

  /**
   * Resolves when the engine has the image: at once when it does, else when the build (here or in another process)
   * is over; `listener` gets its progress meanwhile. Throws `ImageBuildFailedError` when the build fails or this
   * server stops, `DockerUnavailableError` when no engine answers.
   */
  async ensure(listener?: ImageBuildListener): Promise<void> {
    if (this.#closing.signal.aborted) throw new ImageBuildFailedError('The server is stopping');
    this.#job ??= this.#newJob();
    const job = this.#job;
    if (listener) {
      job.listeners.add(listener);
      if (job.last) listener(job.last);
    }
    try {
      await job.promise;
    } finally {
      if (listener) job.listeners.delete(listener);
    }
  }

  /** Aborts a build in progress (its row stays `building`: another process takes it over) and waits for it. */
  async close(): Promise<void> {
    this.#closing.abort();
    await this.#job?.promise.catch(() => undefined);
  }

  #newJob(): Job {
    const job: Job = { promise: Promise.resolve(), listeners: new Set(), last: null };
    job.promise = this.#ensure(job).finally(() => {
      if (this.#job === job) this.#job = null;
    });
    return job;
  }

  async #ensure(job: Job): Promise<void> {
    const { build, locks, logger } = this.#options;
    const signal = this.#closing.signal;
    const lock = imageBuildLock(build.image);
    if (await build.exists()) return;
    // The start of the build seen running elsewhere: when its lock frees, its row says how it ended.
    let watched: number | null = null;
    for (;;) {
      if (signal.aborted) throw new ImageBuildFailedError(`The server stopped while waiting for the sandbox image ${build.image}`);
      if (await locks.tryAcquire(lock)) {
        try {
          if (await build.exists()) return;
          const row = await this.#readRow();
          if (row?.status === 'failed' && row.started_at.getTime() === watched) throw new ImageBuildFailedError(row.error ?? 'The build failed');
          await this.#buildHere(job);
          return;
        } finally {
          await locks.release(lock);
        }
      }
      const row = await this.#readRow();
      if (row?.status === 'building') {
        if (watched === null) logger.info({ image: build.image }, 'another process builds the sandbox image; waiting for it');
        watched = row.started_at.getTime();
        this.#publish(job, {
          image: build.image,
          startedAt: row.started_at,
          step: row.step,
          steps: row.steps,
          instruction: row.instruction,
          lines: row.log_lines,
        });
      }
      await sleep(WATCH_POLL_MS, undefined, { signal }).catch(() => undefined);
    }
  }

  async #buildHere(job: Job): Promise<void> {
    const { build, logger } = this.#options;
    const signal = this.#closing.signal;
    const [started] = await this.#execute<{ started_at: string }>(
      // Milliseconds, so that the start read back as a JS Date names the row exactly.
      `insert into image_builds (image, status, log_lines, started_at, updated_at) values (?, 'building', 0, date_trunc('milliseconds', now()), now())
       on conflict (image) do update set status = 'building', step = null, steps = null, instruction = null, log_lines = 0, error = null,
         started_at = date_trunc('milliseconds', now()), updated_at = now(), finished_at = null
       returning to_json(started_at) #>> '{}' as started_at`,
      [build.image],
    );
    const startedAt = new Date(started!.started_at);
    logger.info({ image: build.image }, 'building the sandbox image (it is missing); agents that start meanwhile wait for it');
    let status: ImageBuildStatus = { image: build.image, startedAt, step: null, steps: null, instruction: null, lines: 0 };
    this.#publish(job, status);
    let saved = Date.now();
    let saving: Promise<void> = Promise.resolve();
    const save = () => {
      const snapshot = status;
      saving = saving
        .then(() => this.#saveProgress(snapshot))
        .catch((error: unknown) => logger.warn({ err: error, image: build.image }, 'image build progress not saved'));
    };
    const began = performance.now();
    try {
      await build.build({
        signal,
        onProgress: (progress) => {
          const newStep = progress.step !== status.step;
          status = { ...status, ...progress };
          if (!newStep && Date.now() - saved < PROGRESS_INTERVAL_MS) return;
          saved = Date.now();
          this.#publish(job, status);
          save();
        },
      });
    } catch (error) {
      await saving;
      // Stopping: the row stays `building` with the lock free, and the next process to look takes the build over.
      if (signal.aborted) throw new ImageBuildFailedError(`The server stopped while building the sandbox image ${build.image}`);
      const message = failureMessage(build.image, error);
      await this.#finish(startedAt, 'failed', message, status);
      logger.error({ err: error, image: build.image, log: error instanceof ImageBuildError ? error.logTail : undefined }, 'building the sandbox image failed');
      throw new ImageBuildFailedError(message);
    }
    await saving;
    await this.#finish(startedAt, 'succeeded', null, status);
    logger.info({ image: build.image, ms: Math.round(performance.now() - began) }, 'built the sandbox image');
  }

  /** Hands `status` to the job's listeners when it differs from the last one. */
  #publish(job: Job, status: ImageBuildStatus): void {
    const last = job.last;
    if (
      last &&
      last.startedAt.getTime() === status.startedAt.getTime() &&
      last.step === status.step &&
      last.steps === status.steps &&
      last.instruction === status.instruction &&
      last.lines === status.lines
    ) {
      return;
    }
    job.last = status;
    for (const listener of job.listeners) {
      try {
        listener(status);
      } catch (error) {
        this.#options.logger.warn({ err: error }, 'image build listener failed');
      }
    }
  }

  async #saveProgress(status: ImageBuildStatus): Promise<void> {
    await this.#execute(
      `update image_builds set step = ?, steps = ?, instruction = ?, log_lines = ?, updated_at = now()
       where image = ? and started_at = ? and status = 'building'`,
      [status.step, status.steps, status.instruction, status.lines, status.image, status.startedAt.toISOString()],
    );
  }

  async #finish(startedAt: Date, outcome: 'succeeded' | 'failed', error: string | null, status: ImageBuildStatus): Promise<void> {
    await this.#execute(
      `update image_builds set status = ?, error = ?, step = ?, steps = ?, instruction = ?, log_lines = ?, updated_at = now(), finished_at = now()
       where image = ? and started_at = ?`,
      [outcome, error, status.step, status.steps, status.instruction, status.lines, status.image, startedAt.toISOString()],
    );
  }

  async #readRow(): Promise<BuildRow | undefined> {
    const [row] = await this.#execute<BuildRow<string>>(
      `select status, step, steps, instruction, log_lines, error, to_json(started_at) #>> '{}' as started_at from image_builds where image = ?`,
      [this.#options.build.image],
    );
    return row && { ...row, started_at: new Date(row.started_at) };
  }

  #execute<Row>(sql: string, params: unknown[]): Promise<Row[]> {
    return this.#options.orm.em.fork().execute<Row[]>(sql, params);
  }
}

/** `Building sandbox image "…" failed: …` and the end of the build log, at most `MAX_BUILD_ERROR_CHARS` long. */
export function failureMessage(image: string, error: unknown): string {
  const head = (error instanceof Error ? error.message : `Building sandbox image "${image}" failed: ${String(error)}`).slice(0, 1000);
  const tail = error instanceof ImageBuildError ? error.logTail.trim() : '';
  if (!tail) return head;
  const label = '\nEnd of the build log:\n';
  const room = MAX_BUILD_ERROR_CHARS - head.length - label.length;
  return `${head}${label}${tail.length > room ? `…${tail.slice(tail.length - room + 1)}` : tail}`;
}

/**
 * What a starting agent shows while the image builds: `status_message` (`Building the sandbox image …: step 3 of 9
 * (RUN apt-get …), 57 lines of output so far`, the instruction cut to 80 characters; only the line count when the
 * builder numbers no steps) and `status_detail`.
 */
export function describeImageBuild(status: ImageBuildStatus): { message: string; detail: AgentStatusDetail } {
  const lines = `${status.lines} ${status.lines === 1 ? 'line' : 'lines'} of output so far`;
  const instruction =
    status.instruction && status.instruction.length > MAX_MESSAGE_INSTRUCTION_CHARS
      ? `${status.instruction.slice(0, MAX_MESSAGE_INSTRUCTION_CHARS - 1)}…`
      : status.instruction;
  // A long step (apt-get) shows no new step for a minute: the line count says it is still going.
  const where =
    status.step !== null && status.steps !== null
      ? `step ${status.step} of ${status.steps}${instruction ? ` (${instruction})` : ''}, ${lines}`
      : status.lines > 0
        ? `building, ${lines}`
        : 'starting the build';
  return {
    message: `Building the sandbox image ${status.image} (once; the first start takes a few minutes): ${where}`,
    detail: {
      phase: 'building_image',
      image: status.image,
      step: status.step,
      steps: status.steps,
      instruction: status.instruction,
      log_lines: status.lines,
      started_at: status.startedAt.toISOString(),
    },
  };
}
