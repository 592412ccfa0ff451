import { describe, expect, test } from 'vitest';
import { BuildLog, LOG_TAIL_CHARS, LOG_TAIL_LINES, parseBuildStep } from '../src/docker/build-log.ts';

describe('parseBuildStep', () => {
  test("the legacy builder's `Step n/m : instruction`", () => {
    expect(parseBuildStep('Step 3/9 : RUN apt-get update')).toEqual({ step: 3, steps: 9, instruction: 'RUN apt-get update' });
    expect(parseBuildStep('Step 1/2 : ARG BASE_IMAGE=debian:bookworm-slim')).toEqual({ step: 1, steps: 2, instruction: 'ARG BASE_IMAGE=debian:bookworm-slim' });
  });

  test("BuildKit's plain `#k [n/m] instruction`, with or without a stage name", () => {
    expect(parseBuildStep('#5 [3/9] RUN apt-get update')).toEqual({ step: 3, steps: 9, instruction: 'RUN apt-get update' });
    expect(parseBuildStep('#7 [builder 2/5] COPY . .')).toEqual({ step: 2, steps: 5, instruction: 'COPY . .' });
  });

  test('other lines are no step', () => {
    for (const line of [
      '#1 [internal] load build definition from Dockerfile',
      '#5 0.312 Get:1 http://deb.debian.org/debian bookworm InRelease',
      ' ---> Running in 0123456789ab',
      'Successfully built 0123456789ab',
      'Step 0/3 : FROM x',
      'Step 4/3 : RUN x',
    ]) {
      expect(parseBuildStep(line)).toBeNull();
    }
  });

  test('the continuations of a multi-line RUN are collapsed', () => {
    expect(parseBuildStep('Step 4/9 : RUN apt-get update  && apt-get install -y       bash curl')!.instruction).toBe(
      'RUN apt-get update && apt-get install -y bash curl',
    );
  });

  test('a long instruction is cut to 200 characters', () => {
    expect(parseBuildStep(`Step 1/1 : RUN ${'x'.repeat(500)}`)!.instruction).toHaveLength(200);
  });
});

describe('BuildLog', () => {
  test('follows the steps of a legacy build, across chunks that split lines', () => {
    const log = new BuildLog();
    expect(log.progress).toEqual({ step: null, steps: null, instruction: null, lines: 0 });
    expect(log.push('Step 1/3 : FROM debian:bookworm-slim\n ---> 77fec6cdc451\nStep 2/3 : RUN ec')).toBe(true);
    expect(log.progress).toEqual({ step: 1, steps: 3, instruction: 'FROM debian:bookworm-slim', lines: 2 });
    expect(log.push('ho hi\n')).toBe(true);
    expect(log.progress).toEqual({ step: 2, steps: 3, instruction: 'RUN echo hi', lines: 3 });
    expect(log.push('\n')).toBe(false);
    log.push('Step 3/3 : RUN true');
    expect(log.progress.step).toBe(2);
    expect(log.end()).toBe(true);
    expect(log.progress).toMatchObject({ step: 3, steps: 3, lines: 4 });
  });

  test('follows BuildKit plain progress', () => {
    const log = new BuildLog();
    log.push('#1 [internal] load build definition from Dockerfile\n#1 DONE 0.0s\n#5 [2/4] RUN apt-get update\n#5 0.41 Get:1 http://deb.debian.org\n');
    expect(log.progress).toEqual({ step: 2, steps: 4, instruction: 'RUN apt-get update', lines: 4 });
  });

  test('a builder that numbers no steps still counts its lines (the fallback)', () => {
    const log = new BuildLog();
    log.push('fetching base\r\nunpacking\rlayer 1 done\n\u001b[32mok\u001b[0m\n');
    expect(log.progress).toEqual({ step: null, steps: null, instruction: null, lines: 4 });
    expect(log.tail()).toBe('fetching base\nunpacking\nlayer 1 done\nok');
  });

  test(`the tail keeps the last ${LOG_TAIL_LINES} lines and at most ${LOG_TAIL_CHARS} characters`, () => {
    const log = new BuildLog();
    for (let index = 1; index <= 100; index++) log.push(`line ${index}\n`);
    const lines = log.tail().split('\n');
    expect(lines).toHaveLength(LOG_TAIL_LINES);
    expect(lines.at(-1)).toBe('line 100');
    expect(lines[0]).toBe(`line ${100 - LOG_TAIL_LINES + 1}`);

    const wide = new BuildLog();
    for (let index = 1; index <= 10; index++) wide.push(`${String(index).padStart(3, '0')} ${'y'.repeat(996)}\n`);
    expect(wide.tail()).toHaveLength(LOG_TAIL_CHARS);
    expect(wide.tail().startsWith('…')).toBe(true);
    expect(wide.tail().endsWith('y')).toBe(true);
    expect(wide.tail()).toContain('010 ');
  });
});
