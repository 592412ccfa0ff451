import { ImageBuildError } from '@metisai/sandbox';
import { describe, expect, test } from 'vitest';
import { describeImageBuild, failureMessage, MAX_BUILD_ERROR_CHARS } from './image-build.ts';

const status = { image: 'metisai/sandbox:latest', startedAt: new Date('2026-11-30T10:00:00.000Z'), step: null, steps: null, instruction: null, lines: 0 };

describe('describeImageBuild', () => {
  test('step n of m, with the instruction, when the builder numbers its steps', () => {
    expect(describeImageBuild({ ...status, step: 3, steps: 9, instruction: 'RUN apt-get update', lines: 40 })).toEqual({
      message:
        'Building the sandbox image metisai/sandbox:latest (once; the first start takes a few minutes): step 3 of 9 (RUN apt-get update), 40 lines of output so far',
      detail: {
        phase: 'building_image',
        image: 'metisai/sandbox:latest',
        step: 3,
        steps: 9,
        instruction: 'RUN apt-get update',
        log_lines: 40,
        started_at: '2026-11-30T10:00:00.000Z',
      },
    });
  });

  test('a long instruction is cut to 80 characters in the message, not in the detail', () => {
    const instruction = `RUN apt-get install -y ${'package '.repeat(20)}`.trim();
    const { message, detail } = describeImageBuild({ ...status, step: 5, steps: 9, instruction, lines: 244 });
    expect(message).toContain(`step 5 of 9 (${instruction.slice(0, 79)}…), 244 lines of output so far`);
    expect(detail.instruction).toBe(instruction);
  });

  test('the line count when it numbers none, and "starting" before any output', () => {
    expect(describeImageBuild({ ...status, lines: 57 }).message).toMatch(/: building, 57 lines of output so far$/);
    expect(describeImageBuild({ ...status, lines: 1 }).message).toMatch(/: building, 1 line of output so far$/);
    expect(describeImageBuild(status).message).toMatch(/: starting the build$/);
    expect(describeImageBuild({ ...status, lines: 57 }).detail).toMatchObject({ step: null, steps: null, log_lines: 57 });
  });
});

describe('failureMessage', () => {
  test('the error, then the end of the build log', () => {
    const error = new ImageBuildError('metisai/sandbox:latest', 'exit code 7', undefined, 'Step 3/3 : RUN false\nno luck');
    expect(failureMessage('metisai/sandbox:latest', error)).toBe(
      'Building sandbox image "metisai/sandbox:latest" failed: exit code 7\nEnd of the build log:\nStep 3/3 : RUN false\nno luck',
    );
    expect(failureMessage('x', new Error('No Docker engine answers'))).toBe('No Docker engine answers');
  });

  test(`at most ${MAX_BUILD_ERROR_CHARS} characters: the start of the log goes first`, () => {
    const error = new ImageBuildError('metisai/sandbox:latest', 'exit code 1', undefined, `${'early '.repeat(1000)}the very end`);
    const message = failureMessage('metisai/sandbox:latest', error);
    expect(message).toHaveLength(MAX_BUILD_ERROR_CHARS);
    expect(message.startsWith('Building sandbox image "metisai/sandbox:latest" failed: exit code 1\nEnd of the build log:\n…')).toBe(true);
    expect(message.endsWith('the very end')).toBe(true);
  });
});
